//! Test support for the planning rules: a query's whole answer as text, so that a rule's
//! property tests can compare it with DataFusion's own.

use arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::SessionContext;

/// The query's schema and rows as text, or its error.
pub(crate) fn answer_text(ctx: &SessionContext, sql: &str) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let frame = match ctx.sql(sql).await {
            Ok(frame) => frame,
            Err(e) => return format!("error: {e}"),
        };
        match frame.collect().await {
            Ok(batches) => {
                let schema = batches.first().map(|b| format!("{:?}", b.schema()));
                let rows = pretty_format_batches(&batches).expect("printable rows");
                format!("{schema:?}\n{rows}")
            }
            Err(e) => format!("error: {e}"),
        }
    })
}
