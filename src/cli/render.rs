//! Results as text: rows as a table (comfy-table), with the row count and time, MySQL-style.

use std::time::Duration;

use arrow::array::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use comfy_table::{ContentArrangement, Table, presets::ASCII_FULL_CONDENSED};
use tabvault::sql::QueryResult;

/// The text printed for one statement's result.
pub fn render(result: &QueryResult, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    if result.has_rows() {
        let rows = result.row_count();
        let plural = if rows == 1 { "row" } else { "rows" };
        if rows == 0 {
            return format!("Empty set ({secs:.2} sec)");
        }
        return format!("{}\n{rows} {plural} in set ({secs:.2} sec)", table(result));
    }
    let mut out = match result.affected_rows {
        Some(n) => format!(
            "Query OK, {n} {} affected ({secs:.2} sec)",
            if n == 1 { "row" } else { "rows" }
        ),
        None => format!("Query OK ({secs:.2} sec)"),
    };
    if let Some(message) = &result.message {
        out.push('\n');
        out.push_str(message);
    }
    out
}

/// The rows of `result` as a text table (NULL shown as `NULL`).
pub fn table(result: &QueryResult) -> String {
    let mut table = Table::new();
    table
        .load_preset(ASCII_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(result.schema.fields().iter().map(|f| f.name().clone()));
    for batch in &result.batches {
        for row in rows(batch) {
            table.add_row(row);
        }
    }
    table.to_string()
}

fn rows(batch: &RecordBatch) -> Vec<Vec<String>> {
    let options = FormatOptions::default().with_null("NULL");
    let formatters: Vec<Option<ArrayFormatter<'_>>> = batch
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).ok())
        .collect();
    (0..batch.num_rows())
        .map(|row| {
            formatters
                .iter()
                .map(|f| {
                    f.as_ref()
                        .map_or_else(|| "?".to_owned(), |f| f.value(row).to_string())
                })
                .collect()
        })
        .collect()
}
