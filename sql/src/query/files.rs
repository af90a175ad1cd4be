//! `FILES("path" = "...", "format" = "parquet" | "csv")`: a table function over local files, for
//! bulk loads (`INSERT INTO t SELECT * FROM FILES(...)`). `path` is a file or a directory (every
//! file in it with the format's extension, in name order); CSV files have a header row and their
//! column types are inferred. Files are read when the statement is planned.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::arrow::csv::ReaderBuilder;
use datafusion::arrow::csv::reader::Format;
use datafusion::catalog::{MemTable, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::Expr;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::error::{Result, SqlError};

/// The schema and rows of one file.
type FileRows = (SchemaRef, Vec<RecordBatch>);

/// The `FILES` table function.
#[derive(Debug, Default)]
pub struct FilesFunction;

impl TableFunctionImpl for FilesFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> DfResult<Arc<dyn TableProvider>> {
        load(args.exprs()).map_err(SqlError::into_datafusion)
    }
}

fn load(exprs: &[Expr]) -> Result<Arc<dyn TableProvider>> {
    let properties = properties(exprs)?;
    let path = properties
        .get("path")
        .ok_or_else(|| SqlError::Invalid("FILES() needs a \"path\" property".into()))?;
    let format = properties
        .get("format")
        .map(|f| f.to_ascii_lowercase())
        .ok_or_else(|| SqlError::Invalid("FILES() needs a \"format\" property".into()))?;
    if let Some(unknown) = properties.keys().find(|k| *k != "path" && *k != "format") {
        return Err(SqlError::Invalid(format!(
            "Unknown FILES() property \"{unknown}\"; supported: path, format"
        )));
    }
    let read: fn(&Path) -> Result<FileRows> = match format.as_str() {
        "parquet" => read_parquet,
        "csv" => read_csv,
        other => {
            return Err(SqlError::Invalid(format!(
                "Unsupported FILES() format \"{other}\"; supported: parquet, csv"
            )));
        }
    };
    let files = list_files(Path::new(path), &format)?;
    let mut schema: Option<SchemaRef> = None;
    let mut batches = Vec::new();
    for file in &files {
        let (file_schema, file_batches) = read(file)?;
        if schema
            .as_ref()
            .is_some_and(|s| s.fields() != file_schema.fields())
        {
            return Err(SqlError::Invalid(format!(
                "FILES(): {} has different columns than the files before it",
                file.display()
            )));
        }
        schema.get_or_insert(file_schema);
        batches.extend(file_batches);
    }
    let schema =
        schema.ok_or_else(|| SqlError::Invalid(format!("FILES(): no {format} file in {path}")))?;
    Ok(Arc::new(MemTable::try_new(schema, vec![batches])?))
}

/// The arguments as `key, value` pairs of string literals (keys lower-cased); see
/// [`rewrite_files_calls`] for how StarRocks' `"key" = "value"` form arrives in this shape.
fn properties(exprs: &[Expr]) -> Result<BTreeMap<String, String>> {
    let text = |e: &Expr| match e {
        Expr::Literal(v, _) => v.try_as_str().flatten().map(str::to_owned),
        _ => None,
    };
    if !exprs.len().is_multiple_of(2) {
        return Err(SqlError::Invalid(
            "FILES() arguments are \"key\" = \"value\" pairs".into(),
        ));
    }
    exprs
        .chunks(2)
        .map(|pair| match (text(&pair[0]), text(&pair[1])) {
            (Some(k), Some(v)) => Ok((k.to_ascii_lowercase(), v)),
            _ => Err(bad_argument(&pair[0])),
        })
        .collect()
}

/// Rewrites every `FILES("k" = "v", ...)` call in `sql` to `FILES('k', 'v', ...)`. DataFusion
/// would evaluate `"k" = "v"` as a comparison (to `false`) before the table function saw it, so
/// the StarRocks form is turned into plain literal arguments first. Text that is not exactly that
/// form is left as it is (DataFusion then reports what is wrong).
pub(crate) fn rewrite_files_calls(sql: &str) -> std::borrow::Cow<'_, str> {
    use crate::parser::lexer::{TokenKind, tokenize};
    let Ok(tokens) = tokenize(sql) else {
        return sql.into();
    };
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while i < tokens.len() {
        let is_files =
            matches!(&tokens[i].kind, TokenKind::Word(w) if w.eq_ignore_ascii_case("files"));
        let opens = matches!(
            tokens.get(i + 1).map(|t| &t.kind),
            Some(TokenKind::Punct('('))
        );
        if !(is_files && opens) {
            i += 1;
            continue;
        }
        let mut pairs = Vec::new();
        let mut j = i + 2;
        let close = loop {
            match (
                tokens.get(j).map(|t| &t.kind),
                tokens.get(j + 1).map(|t| &t.kind),
                tokens.get(j + 2).map(|t| &t.kind),
            ) {
                (
                    Some(TokenKind::String(k)),
                    Some(TokenKind::Punct('=')),
                    Some(TokenKind::String(v)),
                ) => {
                    pairs.push((k.clone(), v.clone()));
                    j += 3;
                    if matches!(tokens.get(j).map(|t| &t.kind), Some(TokenKind::Punct(','))) {
                        j += 1;
                    }
                }
                (Some(TokenKind::Punct(')')), _, _) if !pairs.is_empty() => break Some(j),
                _ => break None,
            }
        };
        let Some(close) = close else {
            i += 1;
            continue;
        };
        let quote = |s: &str| format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"));
        let args: Vec<String> = pairs
            .iter()
            .flat_map(|(k, v)| [quote(k), quote(v)])
            .collect();
        out.push_str(&sql[copied..tokens[i + 1].start]);
        out.push('(');
        out.push_str(&args.join(", "));
        out.push(')');
        copied = tokens[close].end;
        i = close + 1;
    }
    if copied == 0 {
        return sql.into();
    }
    out.push_str(&sql[copied..]);
    out.into()
}

fn bad_argument(e: &Expr) -> SqlError {
    SqlError::Invalid(format!(
        "FILES() arguments are \"key\" = \"value\" pairs, got {e}"
    ))
}

fn list_files(path: &Path, extension: &str) -> Result<Vec<PathBuf>> {
    let io = |source| SqlError::Io {
        context: format!("reading {}", path.display()),
        source,
    };
    if !path.is_dir() {
        std::fs::metadata(path).map_err(io)?;
        return Ok(vec![path.to_owned()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case(extension))
        })
        .collect();
    files.sort();
    Ok(files)
}

fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|source| SqlError::Io {
        context: format!("opening {}", path.display()),
        source,
    })
}

fn read_parquet(path: &Path) -> Result<FileRows> {
    let invalid = |e: &dyn std::fmt::Display| {
        SqlError::Invalid(format!("FILES(): cannot read {}: {e}", path.display()))
    };
    let builder = ParquetRecordBatchReaderBuilder::try_new(open(path)?).map_err(|e| invalid(&e))?;
    let schema = builder.schema().clone();
    let reader = builder.build().map_err(|e| invalid(&e))?;
    let batches = reader
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| invalid(&e))?;
    Ok((schema, batches))
}

fn read_csv(path: &Path) -> Result<FileRows> {
    let invalid = |e: &dyn std::fmt::Display| {
        SqlError::Invalid(format!("FILES(): cannot read {}: {e}", path.display()))
    };
    let mut file = open(path)?;
    let (schema, _) = Format::default()
        .with_header(true)
        .infer_schema(&mut file, None)
        .map_err(|e| invalid(&e))?;
    file.seek(SeekFrom::Start(0)).map_err(|e| invalid(&e))?;
    let schema = Arc::new(schema);
    let reader = ReaderBuilder::new(schema.clone())
        .with_header(true)
        .build(file)
        .map_err(|e| invalid(&e))?;
    let batches = reader
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| invalid(&e))?;
    Ok((schema, batches))
}
