//! `Database.backup` and `Database.restore` arguments as the statements SQL would parse, so that
//! Python jobs take the same checks (privileges, StarRocks' messages) as `BACKUP SNAPSHOT` and
//! `RESTORE SNAPSHOT`.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use tabvault_sql::{Backup, ObjectName, Properties, Restore, SnapshotObject};

/// The snapshot `snapshot` of `database`.
fn snapshot_name(database: &str, snapshot: &str) -> ObjectName {
    ObjectName {
        database: Some(database.to_owned()),
        name: snapshot.to_owned(),
    }
}

/// `BACKUP SNAPSHOT database.snapshot TO repository [ON (tables)] [PROPERTIES (properties)]`.
pub(crate) fn backup(
    database: &str,
    snapshot: &str,
    repository: &str,
    tables: Option<&Bound<'_, PyAny>>,
    properties: Option<&Bound<'_, PyDict>>,
) -> PyResult<Backup> {
    Ok(Backup {
        snapshot: snapshot_name(database, snapshot),
        repository: repository.to_owned(),
        on: objects(tables)?,
        properties: property_list(properties)?,
    })
}

/// `RESTORE SNAPSHOT database.snapshot FROM repository [ON (tables)] PROPERTIES (…)`, with
/// `backup_timestamp` added to the properties when given.
pub(crate) fn restore(
    database: &str,
    snapshot: &str,
    repository: &str,
    tables: Option<&Bound<'_, PyAny>>,
    properties: Option<&Bound<'_, PyDict>>,
    backup_timestamp: Option<&str>,
) -> PyResult<Restore> {
    let mut properties = property_list(properties)?;
    if let Some(timestamp) = backup_timestamp {
        properties.retain(|(key, _)| key != "backup_timestamp");
        properties.push(("backup_timestamp".to_owned(), timestamp.to_owned()));
    }
    Ok(Restore {
        snapshot: snapshot_name(database, snapshot),
        repository: repository.to_owned(),
        on: objects(tables)?,
        properties,
    })
}

/// The `ON (…)` list: each item a table or view name, `(name, [partitions])` or, for RESTORE,
/// `(name, [partitions], alias)`.
fn objects(tables: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<SnapshotObject>> {
    let Some(tables) = tables else {
        return Ok(Vec::new());
    };
    if tables.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "tables must be a list of names or (name, [partitions]) tuples, not a string",
        ));
    }
    tables.try_iter()?.map(|item| object(&item?)).collect()
}

fn object(item: &Bound<'_, PyAny>) -> PyResult<SnapshotObject> {
    if let Ok(name) = item.extract::<String>() {
        return Ok(SnapshotObject {
            kind: None,
            name,
            partitions: Vec::new(),
            alias: None,
        });
    }
    let tuple = item.cast::<PyTuple>().map_err(|_| {
        PyTypeError::new_err(format!(
            "a tables item must be a name or a (name, [partitions][, alias]) tuple, not {}",
            item.get_type()
                .name()
                .map_or_else(|_| "?".into(), |n| n.to_string())
        ))
    })?;
    let (name, partitions, alias) = match tuple.len() {
        2 => (tuple.get_item(0)?, tuple.get_item(1)?, None),
        3 => (
            tuple.get_item(0)?,
            tuple.get_item(1)?,
            Some(tuple.get_item(2)?),
        ),
        n => {
            return Err(PyTypeError::new_err(format!(
                "a tables tuple has 2 or 3 items (name, [partitions][, alias]), not {n}"
            )));
        }
    };
    if partitions.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "partitions must be a list of partition names, not a string",
        ));
    }
    Ok(SnapshotObject {
        kind: None,
        name: name.extract()?,
        partitions: partitions.extract()?,
        alias: alias.map(|a| a.extract()).transpose()?,
    })
}

/// PROPERTIES as written in SQL: string values, or numbers and booleans spelled as SQL would.
fn property_list(properties: Option<&Bound<'_, PyDict>>) -> PyResult<Properties> {
    let Some(properties) = properties else {
        return Ok(Vec::new());
    };
    properties
        .iter()
        .map(|(key, value)| {
            let key: String = key.extract()?;
            let value = if let Ok(flag) = value.extract::<bool>() {
                flag.to_string()
            } else if let Ok(number) = value.extract::<i64>() {
                number.to_string()
            } else {
                value.extract::<String>().map_err(|_| {
                    PyTypeError::new_err(format!(
                        "property {key:?} must be a string, an integer or a boolean"
                    ))
                })?
            };
            Ok((key, value))
        })
        .collect()
}
