//! Fuzz body: any text either fails to parse with an error, or parses to statements whose printed
//! form parses back to the same statements. Never a panic.

/// Runs one input.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(statements) = tabvault_sql::parse_statements(text) else {
        return;
    };
    for statement in statements {
        let printed = statement.to_string();
        let reparsed = tabvault_sql::parse_statement(&printed)
            .unwrap_or_else(|e| panic!("printed statement does not parse: {printed:?}: {e}"));
        assert_eq!(reparsed, statement, "round trip changed {printed:?}");
    }
}
