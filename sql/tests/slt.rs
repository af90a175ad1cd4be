//! Runs every `sql/tests/slt/*.slt` file (sqllogictest format) against a fresh database in a
//! temporary directory. BACKUP and RESTORE wait for their jobs, so the next record sees the
//! result. Every connection is a `root` session (privileges are tested in `statements.rs` and `tests/security.rs`).

use std::path::PathBuf;

use arrow::util::display::{ArrayFormatter, FormatOptions};
use sqllogictest::{DBOutput, DefaultColumnType};
use tabvault_sql::{Database, Session, SqlError};

struct Db {
    session: Session,
}

impl sqllogictest::DB for Db {
    type Error = SqlError;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SqlError> {
        let results = self.session.execute(sql)?;
        let Some(last) = results.last() else {
            return Ok(DBOutput::StatementComplete(0));
        };
        if !last.has_rows() {
            return Ok(DBOutput::StatementComplete(last.affected_rows.unwrap_or(0)));
        }
        let options = FormatOptions::default().with_null("NULL");
        let mut rows = Vec::new();
        for batch in &last.batches {
            let formatters = batch
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
                .collect::<Result<Vec<_>, _>>()?;
            for row in 0..batch.num_rows() {
                rows.push(
                    formatters
                        .iter()
                        .map(|f| {
                            let text = f.value(row).to_string();
                            if text.is_empty() {
                                "(empty)".to_owned()
                            } else {
                                text
                            }
                        })
                        .collect(),
                );
            }
        }
        Ok(DBOutput::Rows {
            types: vec![DefaultColumnType::Any; last.schema.fields().len()],
            rows,
        })
    }
}

fn run_file(path: &PathBuf) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let database = Database::open(dir.path()).map_err(|e| e.to_string())?;
    let mut runner = sqllogictest::Runner::new(move || {
        let database = database.clone();
        async move {
            let mut session = database.root_session()?;
            session.set_wait_for_jobs(true);
            Ok::<_, SqlError>(Db { session })
        }
    });
    runner
        .run_file(path)
        .map_err(|e| e.display(true).to_string())
}

#[test]
fn slt_files() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/slt exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .slt files in {}", dir.display());
    let failures: Vec<String> = files
        .iter()
        .filter_map(|f| run_file(f).err().map(|e| format!("{}:\n{e}", f.display())))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
