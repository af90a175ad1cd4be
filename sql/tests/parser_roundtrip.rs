//! Property tests of the parser and its pretty-printer.
//!
//! Goal: `Display` for [`Statement`] is an exact inverse of parsing, and no input makes the parser
//! panic. Method: random ASTs from every statement family (with identifiers and strings full of
//! quotes, backslashes, keywords and non-ASCII text) are printed, parsed and compared; random
//! strings, random token soups and every prefix of printed statements are fed to the parser,
//! which must return (`Ok` or `Err`) without panicking.

use datafusion::sql::parser::Statement as QueryStatement;
use datafusion::sql::sqlparser::ast::Expr;
use proptest::prelude::*;
use tabvault_sql::{
    AlterTableAction, Backup, Broker, ColumnSpec, CompactKind, CreateRepository, CreateTable,
    CreateView, DataType, DefaultValue, Delete, DistributionSpec, DropSnapshot, Grant, GrantItems,
    GrantObject, Grantee, Insert, InsertSource, InsertValue, KeyKind, KeysSpec, Literal,
    NewPassword, ObjectKind, ObjectName, PartitionBy, PartitionKind, PartitionSpec,
    PartitionValues, Privilege, Restore, ShowFilter, ShowSnapshot, SnapshotObject, Statement,
    TimestampComparison, TimestampCondition, UserIdentity, VerifySnapshot, parse_statement,
    parse_statements,
};

// ---- leaves ------------------------------------------------------------------------------------

/// Any text: keywords, quotes, backslashes, control characters and non-ASCII included.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_][a-z0-9_]{0,6}",
        Just("SELECT".to_owned()),
        Just("on".to_owned()),
        "[`'\"\\\\;()., a-zé\n\t-]{1,8}",
        prop::collection::vec(any::<char>(), 1..8).prop_map(String::from_iter),
    ]
}

fn ident() -> impl Strategy<Value = String> {
    text()
}

fn object_name() -> impl Strategy<Value = ObjectName> {
    (prop::option::of(ident()), ident()).prop_map(|(database, name)| ObjectName { database, name })
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        "-?[0-9]{1,4}\\.[0-9]{1,3}",
        "[0-9]{1,3}e-?[0-9]{1,2}",
        "-?\\.[0-9]{1,3}",
        "[0-9]{30,40}",
    ]
}

fn literal() -> BoxedStrategy<Literal> {
    prop_oneof![
        Just(Literal::Null),
        any::<bool>().prop_map(Literal::Boolean),
        number().prop_map(Literal::Number),
        text().prop_map(Literal::String),
    ]
    .boxed()
}

/// A string literal for queries and expressions, without backslashes and without two quotes in a
/// row: sqlparser prints strings without MySQL's backslash escapes and takes a doubled quote for
/// one it already escaped, so such strings do not read back from its printing.
fn sql_string() -> impl Strategy<Value = String> {
    text().prop_map(|s| {
        let mut kept = s.replace('\\', "");
        while kept.contains("''") || kept.contains("\"\"") {
            kept = kept.replace("''", "'").replace("\"\"", "\"");
        }
        Literal::String(kept).to_string()
    })
}

/// A printed identifier for queries and expressions, without a back-quote in it: sqlparser
/// prints one escaped with a backslash, which MySQL's back-quoted identifiers do not read.
fn printed_ident() -> impl Strategy<Value = String> {
    ident()
        .prop_filter("no back-quote", |name| !name.contains('`'))
        .prop_map(|name| {
            ObjectName {
                database: None,
                name,
            }
            .to_string()
        })
}

/// Query text as a user writes it: trimmed, balanced, no `;` outside strings and comments.
fn query() -> BoxedStrategy<String> {
    (printed_ident(), printed_ident(), sql_string(), 0..5usize)
        .prop_map(|(col, table, s, shape)| match shape {
            0 => format!("SELECT {col} FROM {table} WHERE {col} = {s}"),
            1 => format!("select count(*), ({col}) from {table} /* ; ) */ group by 1"),
            2 => format!("WITH q AS (SELECT {s} AS {col}) SELECT * FROM q -- ;\n ORDER BY 1"),
            3 => format!("(SELECT 1) UNION ALL (SELECT {s})"),
            _ => format!("SELECT a FROM {table} t JOIN u ON t.{col} = u.x # ;\n WHERE b IN (1, 2)"),
        })
        .boxed()
}

/// `text`, a query, as the parser reads it.
fn parsed_query(text: String) -> Box<QueryStatement> {
    match parse_statement(&text) {
        Ok(Statement::Query { query }) => query,
        other => panic!("{text}: {other:?}"),
    }
}

/// `text`, an expression, as the parser reads a `DELETE` condition.
fn parsed_expr(text: String) -> Box<Expr> {
    match parse_statement(&format!("DELETE FROM t WHERE {text}")) {
        Ok(Statement::Delete(delete)) => delete.predicate,
        other => panic!("{text}: {other:?}"),
    }
}

fn partition_names() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(ident(), 0..3)
}

fn properties() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((text(), text()), 0..3)
}

fn database() -> impl Strategy<Value = Option<String>> {
    prop::option::of(ident())
}

fn user() -> impl Strategy<Value = UserIdentity> {
    (text(), prop::option::of(text())).prop_map(|(name, host)| UserIdentity { name, host })
}

// ---- tables ------------------------------------------------------------------------------------

fn data_type() -> impl Strategy<Value = DataType> {
    let decimal =
        prop::option::of((any::<u8>(), prop::option::of(any::<u8>()))).prop_map(
            |size| match size {
                None => DataType::Decimal {
                    precision: None,
                    scale: None,
                },
                Some((p, s)) => DataType::Decimal {
                    precision: Some(p),
                    scale: s,
                },
            },
        );
    prop_oneof![
        prop::sample::select(vec![
            DataType::Boolean,
            DataType::TinyInt,
            DataType::SmallInt,
            DataType::Int,
            DataType::BigInt,
            DataType::LargeInt,
            DataType::Float,
            DataType::Double,
            DataType::String,
            DataType::Date,
            DataType::DateTime,
        ]),
        decimal,
        prop::option::of(any::<u32>()).prop_map(DataType::Char),
        prop::option::of(any::<u32>()).prop_map(DataType::Varchar),
    ]
}

fn column() -> BoxedStrategy<ColumnSpec> {
    let default = prop::option::of(prop_oneof![
        Just(DefaultValue::CurrentTimestamp),
        literal().prop_map(DefaultValue::Literal),
    ]);
    (
        ident(),
        data_type(),
        prop::option::of(any::<bool>()),
        default,
        prop::option::of(text()),
    )
        .prop_map(|(name, data_type, nullable, default, comment)| ColumnSpec {
            name,
            data_type,
            nullable,
            default,
            comment,
        })
        .boxed()
}

fn partition_values() -> impl Strategy<Value = PartitionValues> {
    prop_oneof![
        prop::option::of(literal()).prop_map(PartitionValues::LessThan),
        (literal(), literal()).prop_map(|(lower, upper)| PartitionValues::Between { lower, upper }),
        prop::collection::vec(literal(), 1..4).prop_map(PartitionValues::In),
    ]
}

fn partition() -> BoxedStrategy<PartitionSpec> {
    (ident(), partition_values())
        .prop_map(|(name, values)| PartitionSpec { name, values })
        .boxed()
}

fn create_table() -> BoxedStrategy<Statement> {
    let keys = prop::option::of(
        (
            prop::sample::select(vec![KeyKind::Duplicate, KeyKind::Primary]),
            prop::collection::vec(ident(), 1..3),
        )
            .prop_map(|(kind, columns)| KeysSpec { kind, columns }),
    );
    let partition_by = prop::option::of(
        (
            prop::sample::select(vec![PartitionKind::Range, PartitionKind::List]),
            ident(),
            prop::collection::vec(partition(), 0..3),
        )
            .prop_map(|(kind, column, partitions)| PartitionBy {
                kind,
                column,
                partitions,
            }),
    );
    let distribution = prop::option::of(prop_oneof![
        (
            prop::collection::vec(ident(), 1..3),
            prop::option::of(any::<u32>())
        )
            .prop_map(|(columns, buckets)| DistributionSpec::Hash { columns, buckets }),
        prop::option::of(any::<u32>()).prop_map(|buckets| DistributionSpec::Random { buckets }),
    ]);
    (
        (
            any::<bool>(),
            object_name(),
            prop::collection::vec(column(), 1..4),
        ),
        (prop::option::of(ident()), keys, prop::option::of(text())),
        (partition_by, distribution, properties()),
    )
        .prop_map(
            |(
                (if_not_exists, name, columns),
                (engine, keys, comment),
                (partition_by, distribution, properties),
            )| {
                Statement::CreateTable(CreateTable {
                    if_not_exists,
                    name,
                    columns,
                    engine,
                    keys,
                    comment,
                    partition_by,
                    distribution,
                    properties,
                })
            },
        )
        .boxed()
}

fn table_statement() -> BoxedStrategy<Statement> {
    let alter = prop_oneof![
        (any::<bool>(), partition()).prop_map(|(if_not_exists, partition)| {
            AlterTableAction::AddPartition {
                if_not_exists,
                partition,
            }
        }),
        (any::<bool>(), ident(), any::<bool>()).prop_map(|(if_exists, name, force)| {
            AlterTableAction::DropPartition {
                if_exists,
                name,
                force,
            }
        }),
        (0..3u8, prop::collection::vec(ident(), 0..3)).prop_map(|(kind, partitions)| {
            AlterTableAction::Compact {
                kind: [
                    CompactKind::Full,
                    CompactKind::Base,
                    CompactKind::Cumulative,
                ][usize::from(kind)],
                partitions,
            }
        }),
    ];
    prop_oneof![
        create_table(),
        (any::<bool>(), object_name(), any::<bool>()).prop_map(|(if_exists, table, force)| {
            Statement::DropTable {
                if_exists,
                table,
                force,
            }
        }),
        (object_name(), partition_names())
            .prop_map(|(table, partitions)| Statement::TruncateTable { table, partitions }),
        (object_name(), alter).prop_map(|(table, action)| Statement::AlterTable { table, action }),
        object_name().prop_map(|table| Statement::ShowPartitions { table }),
        object_name().prop_map(|table| Statement::ShowCreateTable { table }),
        object_name().prop_map(|table| Statement::Describe { table }),
        (object_name(), any::<bool>())
            .prop_map(|(table, full)| Statement::ShowColumns { table, full }),
        object_name().prop_map(|table| Statement::ShowIndex { table }),
    ]
    .boxed()
}

// ---- databases, views, DML ---------------------------------------------------------------------

fn database_statement() -> BoxedStrategy<Statement> {
    prop_oneof![
        (any::<bool>(), ident()).prop_map(|(if_not_exists, name)| Statement::CreateDatabase {
            if_not_exists,
            name
        }),
        (any::<bool>(), ident(), any::<bool>()).prop_map(|(if_exists, name, force)| {
            Statement::DropDatabase {
                if_exists,
                name,
                force,
            }
        }),
        ident().prop_map(|database| Statement::Use { database }),
        Just(Statement::ShowDatabases),
        (database(), any::<bool>())
            .prop_map(|(database, full)| Statement::ShowTables { database, full }),
        any::<bool>().prop_map(|full| Statement::ShowProcesslist { full }),
        (any::<bool>(), any::<u32>())
            .prop_map(|(query_only, id)| Statement::Kill { query_only, id }),
        proptest::option::of("[a-z_%\\\\]{0,12}")
            .prop_map(|pattern| Statement::ShowVariables { pattern }),
        (
            database(),
            proptest::option::of(prop_oneof![
                "[a-z_%\\\\]{0,12}".prop_map(ShowFilter::Like),
                (printed_ident(), any::<u16>())
                    .prop_map(|(col, n)| ShowFilter::Where(parsed_expr(format!("{col} > {n}")))),
            ])
        )
            .prop_map(|(database, filter)| Statement::ShowTableStatus { database, filter }),
    ]
    .boxed()
}

fn insert_value() -> impl Strategy<Value = InsertValue> {
    let expr = (printed_ident(), sql_string(), 0..4usize).prop_map(|(col, s, shape)| match shape {
        0 => "now()".to_owned(),
        1 => format!("{col} + 1"),
        2 => format!("concat({s}, ',', ')')"),
        _ => format!("-{col}"),
    });
    prop_oneof![
        literal().prop_map(InsertValue::Literal),
        Just(InsertValue::Default),
        expr.prop_map(|text| InsertValue::Expr(parsed_expr(text))),
    ]
}

fn dml_statement() -> BoxedStrategy<Statement> {
    let source = prop_oneof![
        prop::collection::vec(prop::collection::vec(insert_value(), 1..4), 1..3)
            .prop_map(InsertSource::Values),
        query().prop_map(|text| InsertSource::Query(parsed_query(text))),
    ];
    let predicate = (printed_ident(), sql_string())
        .prop_map(|(col, s)| parsed_expr(format!("{col} = {s} AND ({col} > 1 OR {col} IS NULL)")));
    let view = (
        (any::<bool>(), any::<bool>(), object_name()),
        (prop::collection::vec(ident(), 0..3), query()),
    )
        .prop_map(|((or_replace, if_not_exists, name), (columns, query))| {
            Statement::CreateView(CreateView {
                or_replace,
                if_not_exists,
                name,
                columns,
                query,
            })
        });
    prop_oneof![
        query().prop_map(|text| Statement::Query {
            query: parsed_query(text)
        }),
        view,
        (any::<bool>(), object_name())
            .prop_map(|(if_exists, view)| Statement::DropView { if_exists, view }),
        (
            (any::<bool>(), object_name()),
            (
                partition_names(),
                prop::collection::vec(ident(), 0..3),
                source
            )
        )
            .prop_map(|((overwrite, table), (partitions, columns, source))| {
                Statement::Insert(Insert {
                    overwrite,
                    table,
                    partitions,
                    columns,
                    source,
                })
            }),
        (object_name(), partition_names(), predicate).prop_map(|(table, partitions, predicate)| {
            Statement::Delete(Delete {
                table,
                partitions,
                predicate,
            })
        }),
    ]
    .boxed()
}

// ---- users and privileges ----------------------------------------------------------------------

fn grant() -> BoxedStrategy<Grant> {
    let object = prop_oneof![
        Just(GrantObject::Global),
        ident().prop_map(GrantObject::Database),
        object_name().prop_map(GrantObject::Table),
    ];
    let privilege = prop::sample::select(vec![
        Privilege::Select,
        Privilege::Insert,
        Privilege::Delete,
        Privilege::Alter,
        Privilege::Drop,
        Privilege::All,
        Privilege::File,
    ]);
    let items = prop_oneof![
        prop::collection::vec(ident(), 1..3).prop_map(GrantItems::Roles),
        (prop::collection::vec(privilege, 1..4), object)
            .prop_map(|(privileges, on)| GrantItems::Privileges { privileges, on }),
    ];
    let grantee = prop_oneof![
        user().prop_map(Grantee::User),
        ident().prop_map(Grantee::Role)
    ];
    (items, grantee)
        .prop_map(|(items, grantee)| Grant { items, grantee })
        .boxed()
}

fn new_password() -> impl Strategy<Value = NewPassword> {
    prop_oneof![
        text().prop_map(NewPassword::Plain),
        "[0-9A-F]{40}".prop_map(|hex| NewPassword::NativeHash(format!("*{hex}"))),
    ]
}

fn privilege_statement() -> BoxedStrategy<Statement> {
    prop_oneof![
        (any::<bool>(), user(), prop::option::of(new_password())).prop_map(
            |(if_not_exists, user, password)| Statement::CreateUser {
                if_not_exists,
                user,
                password,
            }
        ),
        (prop::option::of(user()), new_password())
            .prop_map(|(user, password)| Statement::SetPassword { user, password }),
        (any::<bool>(), user())
            .prop_map(|(if_exists, user)| Statement::DropUser { if_exists, user }),
        (any::<bool>(), ident()).prop_map(|(if_not_exists, name)| Statement::CreateRole {
            if_not_exists,
            name
        }),
        (any::<bool>(), ident())
            .prop_map(|(if_exists, name)| Statement::DropRole { if_exists, name }),
        grant().prop_map(Statement::Grant),
        grant().prop_map(Statement::Revoke),
        prop::option::of(user()).prop_map(|user| Statement::ShowGrants { user }),
    ]
    .boxed()
}

// ---- backup and restore ------------------------------------------------------------------------

fn snapshot_objects(with_alias: bool) -> impl Strategy<Value = Vec<SnapshotObject>> {
    let kind = prop::option::of(prop::sample::select(vec![
        ObjectKind::Table,
        ObjectKind::View,
    ]));
    let alias = prop::option::of(ident()).prop_map(move |alias| alias.filter(|_| with_alias));
    let object =
        (kind, ident(), partition_names(), alias).prop_map(|(kind, name, partitions, alias)| {
            SnapshotObject {
                kind,
                name,
                partitions,
                alias,
            }
        });
    prop::collection::vec(object, 0..3)
}

fn backup_statement() -> BoxedStrategy<Statement> {
    let broker = prop::option::of(prop_oneof![
        Just(Broker::Default),
        ident().prop_map(Broker::Named)
    ]);
    let repository = (any::<bool>(), ident(), broker, text(), properties()).prop_map(
        |(read_only, name, broker, location, properties)| {
            Statement::CreateRepository(CreateRepository {
                read_only,
                name,
                broker,
                location,
                properties,
            })
        },
    );
    let backup = (
        object_name(),
        ident(),
        snapshot_objects(false),
        properties(),
    )
        .prop_map(|(snapshot, repository, on, properties)| {
            Statement::Backup(Backup {
                snapshot,
                repository,
                on,
                properties,
            })
        });
    let restore = (object_name(), ident(), snapshot_objects(true), properties()).prop_map(
        |(snapshot, repository, on, properties)| {
            Statement::Restore(Restore {
                snapshot,
                repository,
                on,
                properties,
            })
        },
    );
    let filter = prop::option::of((text(), prop::option::of(text())));
    let show_snapshot = (ident(), filter).prop_map(|(repository, filter)| {
        let (snapshot, timestamp) = match filter {
            Some((s, ts)) => (Some(s), ts),
            None => (None, None),
        };
        Statement::ShowSnapshot(ShowSnapshot {
            repository,
            snapshot,
            timestamp,
        })
    });
    let timestamp_condition = || {
        (
            prop_oneof![
                Just(TimestampComparison::Equal),
                Just(TimestampComparison::AtMost),
                Just(TimestampComparison::AtLeast),
            ],
            text(),
        )
            .prop_map(|(op, timestamp)| TimestampCondition { op, timestamp })
    };
    let drop_conditions = prop_oneof![
        (
            prop::collection::vec(text(), 1..4),
            prop::option::of(timestamp_condition())
        )
            .prop_map(|(names, timestamp)| (Some(names), timestamp)),
        timestamp_condition().prop_map(|timestamp| (None, Some(timestamp))),
    ];
    let drop_snapshot = (any::<bool>(), ident(), drop_conditions, any::<bool>()).prop_map(
        |(if_exists, repository, (snapshots, timestamp), force)| {
            Statement::DropSnapshot(DropSnapshot {
                if_exists,
                repository,
                snapshots,
                timestamp,
                force,
            })
        },
    );
    let verify_snapshot =
        (text(), ident(), properties()).prop_map(|(snapshot, repository, properties)| {
            Statement::VerifySnapshot(VerifySnapshot {
                snapshot,
                repository,
                properties,
            })
        });
    prop_oneof![
        repository,
        (any::<bool>(), ident())
            .prop_map(|(if_exists, name)| Statement::DropRepository { if_exists, name }),
        Just(Statement::ShowRepositories),
        ident().prop_map(|repository| Statement::RefreshIceberg { repository }),
        backup,
        restore,
        show_snapshot,
        drop_snapshot,
        verify_snapshot,
        database().prop_map(|database| Statement::ShowBackup { database }),
        database().prop_map(|database| Statement::ShowBackupHistory { database }),
        database().prop_map(|database| Statement::ShowRestoreHistory { database }),
        database().prop_map(|database| Statement::CancelBackup { database }),
        database().prop_map(|database| Statement::ShowRestore { database }),
        database().prop_map(|database| Statement::CancelRestore { database }),
    ]
    .boxed()
}

fn statement() -> BoxedStrategy<Statement> {
    prop_oneof![
        database_statement(),
        table_statement(),
        dml_statement(),
        privilege_statement(),
        backup_statement(),
    ]
    .boxed()
}

/// Fragments that reach deep into the grammar when shuffled together.
fn token_soup() -> impl Strategy<Value = String> {
    let fragment = prop::sample::select(vec![
        "CREATE",
        "TABLE",
        "DROP",
        "SHOW",
        "BACKUP",
        "RESTORE",
        "SNAPSHOT",
        "TO",
        "FROM",
        "ON",
        "PARTITION",
        "VALUES",
        "LESS",
        "THAN",
        "MAXVALUE",
        "IN",
        "PROPERTIES",
        "GRANT",
        "INSERT",
        "INTO",
        "SELECT",
        "WITH",
        "WHERE",
        "AND",
        "IF",
        "NOT",
        "EXISTS",
        "DECIMAL",
        "VARCHAR",
        "INT",
        "DEFAULT",
        "-",
        "+",
        "(",
        ")",
        "[",
        ",",
        ";",
        ".",
        "*",
        "=",
        "@",
        "`x`",
        "'s'",
        "\"d\"",
        "1",
        "2.5",
        "x",
        "'",
        "\"",
        "`",
        "/*",
        "--",
        "#",
        "\n",
        "é",
    ]);
    prop::collection::vec(fragment, 0..24).prop_map(|parts| parts.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn printed_statements_parse_back_equal(statement in statement()) {
        let printed = statement.to_string();
        let parsed = parse_statement(&printed);
        prop_assert_eq!(parsed, Ok(statement), "printed: {}", printed);
    }

    #[test]
    fn printed_statement_lists_parse_back_equal(
        statements in prop::collection::vec(statement(), 0..4)
    ) {
        let printed: Vec<String> = statements.iter().map(ToString::to_string).collect();
        let printed = printed.join(";\n");
        prop_assert_eq!(parse_statements(&printed), Ok(statements), "printed: {}", printed);
    }

    #[test]
    fn arbitrary_strings_never_panic(sql in any::<String>()) {
        let _ = parse_statements(&sql);
    }

    #[test]
    fn token_soups_never_panic(sql in token_soup()) {
        let _ = parse_statements(&sql);
        let _ = parse_statement(&sql);
    }

    #[test]
    fn prefixes_of_valid_statements_never_panic(statement in statement()) {
        let printed = statement.to_string();
        for (end, _) in printed.char_indices() {
            if let Err(e) = parse_statements(&printed[..end]) {
                prop_assert!(e.offset <= end);
            }
        }
    }
}
