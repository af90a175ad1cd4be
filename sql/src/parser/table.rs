//! `CREATE TABLE`: columns and their types, the key model, partitioning and distribution.

use super::ast::{
    ColumnSpec, CreateTable, DataType, DefaultValue, DistributionSpec, KeyKind, KeysSpec, Literal,
    PartitionBy, PartitionKind, PartitionSpec, PartitionValues, Statement,
};
use super::parser::{PResult, Parser};

/// Type names that take no arguments.
const SIMPLE_TYPES: &[(&str, DataType)] = &[
    ("BOOLEAN", DataType::Boolean),
    ("FLOAT", DataType::Float),
    ("DOUBLE", DataType::Double),
    ("STRING", DataType::String),
    ("DATE", DataType::Date),
    ("DATETIME", DataType::DateTime),
];

/// Integer type names. They may carry a MySQL display width, `INT(11)`, which StarRocks' own
/// `SHOW CREATE TABLE` prints; it means nothing and is dropped.
const INTEGER_TYPES: &[(&str, DataType)] = &[
    ("TINYINT", DataType::TinyInt),
    ("SMALLINT", DataType::SmallInt),
    ("INT", DataType::Int),
    ("INTEGER", DataType::Int),
    ("BIGINT", DataType::BigInt),
    ("LARGEINT", DataType::LargeInt),
];

/// Spellings of DECIMAL that StarRocks accepts.
const DECIMAL_TYPES: &[&str] = &[
    "DECIMAL",
    "DECIMALV2",
    "DECIMALV3",
    "DECIMAL32",
    "DECIMAL64",
    "DECIMAL128",
];

impl Parser<'_> {
    /// After `CREATE TABLE`: the rest of the statement, clauses in StarRocks' order.
    pub(crate) fn create_table(&mut self) -> PResult<Statement> {
        let if_not_exists = self.if_not_exists()?;
        let name = self.object_name()?;
        let columns = self.parenthesized(Self::column_spec)?;
        let engine = if self.eat_keyword("ENGINE") {
            self.expect_punct('=')?;
            Some(self.ident()?)
        } else {
            None
        };
        let keys = self.keys_spec()?;
        let comment = self.comment()?;
        let partition_by = self.partition_by()?;
        let distribution = self.distribution()?;
        let properties = self.properties()?;
        Ok(Statement::CreateTable(CreateTable {
            if_not_exists,
            name,
            columns,
            engine,
            keys,
            comment,
            partition_by,
            distribution,
            properties,
        }))
    }

    /// `name TYPE [NULL | NOT NULL] [DEFAULT …] [COMMENT '…']`.
    fn column_spec(&mut self) -> PResult<ColumnSpec> {
        let name = self.ident()?;
        let data_type = self.data_type()?;
        let nullable = if self.eat_keyword("NULL") {
            Some(true)
        } else if self.eat_keyword("NOT") {
            self.expect_keyword("NULL")?;
            Some(false)
        } else {
            None
        };
        let default = if !self.eat_keyword("DEFAULT") {
            None
        } else if self.eat_keyword("CURRENT_TIMESTAMP") {
            Some(DefaultValue::CurrentTimestamp)
        } else {
            Some(DefaultValue::Literal(self.literal()?))
        };
        Ok(ColumnSpec {
            name,
            data_type,
            nullable,
            default,
            comment: self.comment()?,
        })
    }

    /// A column type.
    fn data_type(&mut self) -> PResult<DataType> {
        if let Some((_, ty)) = SIMPLE_TYPES.iter().find(|(k, _)| self.is_keyword(k)) {
            self.advance();
            return Ok(*ty);
        }
        if let Some((_, ty)) = INTEGER_TYPES.iter().find(|(k, _)| self.is_keyword(k)) {
            self.advance();
            if self.eat_punct('(') {
                self.integer::<u32>("display width")?;
                self.expect_punct(')')?;
            }
            return Ok(*ty);
        }
        if self.peek_keyword_of(DECIMAL_TYPES).is_some() {
            self.advance();
            return self.decimal_arguments();
        }
        match self.peek_keyword_of(&["CHAR", "VARCHAR"]) {
            Some(kind) => {
                self.advance();
                let length = if self.eat_punct('(') {
                    let n = self.integer::<u32>("length")?;
                    self.expect_punct(')')?;
                    Some(n)
                } else {
                    None
                };
                Ok(if kind == "CHAR" {
                    DataType::Char(length)
                } else {
                    DataType::Varchar(length)
                })
            }
            None => Err(self.error("column type")),
        }
    }

    /// After a DECIMAL spelling: `[(p[, s])]`.
    fn decimal_arguments(&mut self) -> PResult<DataType> {
        let (mut precision, mut scale) = (None, None);
        if self.eat_punct('(') {
            precision = Some(self.integer::<u8>("precision (0 to 255)")?);
            if self.eat_punct(',') {
                scale = Some(self.integer::<u8>("scale (0 to 255)")?);
            }
            self.expect_punct(')')?;
        }
        Ok(DataType::Decimal { precision, scale })
    }

    /// `[COMMENT '…']`.
    pub(crate) fn comment(&mut self) -> PResult<Option<String>> {
        if self.eat_keyword("COMMENT") {
            Ok(Some(self.string()?))
        } else {
            Ok(None)
        }
    }

    /// `[DUPLICATE KEY (cols) | PRIMARY KEY (cols)]`.
    fn keys_spec(&mut self) -> PResult<Option<KeysSpec>> {
        let kind = match self.peek_keyword_of(&["DUPLICATE", "PRIMARY"]) {
            None => return Ok(None),
            Some("DUPLICATE") => KeyKind::Duplicate,
            Some(_) => KeyKind::Primary,
        };
        self.advance();
        self.expect_keyword("KEY")?;
        Ok(Some(KeysSpec {
            kind,
            columns: self.ident_list()?,
        }))
    }

    /// `[PARTITION BY RANGE|LIST (col) (PARTITION …, …)]`; the list may be empty, `()`.
    fn partition_by(&mut self) -> PResult<Option<PartitionBy>> {
        if !self.eat_keyword("PARTITION") {
            return Ok(None);
        }
        self.expect_keyword("BY")?;
        let kind = match self.expect_keyword_of(&["RANGE", "LIST"])? {
            "RANGE" => PartitionKind::Range,
            _ => PartitionKind::List,
        };
        self.expect_punct('(')?;
        let column = self.ident()?;
        self.expect_punct(')')?;
        let partitions = if self.is_punct_at(0, '(') && self.is_punct_at(1, ')') {
            self.advance();
            self.advance();
            Vec::new()
        } else {
            self.parenthesized(|p| {
                p.expect_keyword("PARTITION")?;
                p.partition_spec()
            })?
        };
        Ok(Some(PartitionBy {
            kind,
            column,
            partitions,
        }))
    }

    /// After `PARTITION [IF NOT EXISTS]`: `p VALUES …`.
    pub(crate) fn partition_spec(&mut self) -> PResult<PartitionSpec> {
        let name = self.ident()?;
        self.expect_keyword("VALUES")?;
        let values = if self.eat_keyword("IN") {
            PartitionValues::In(self.parenthesized(Self::literal)?)
        } else if self.eat_punct('[') {
            let lower = self.single_value()?;
            self.expect_punct(',')?;
            let upper = self.single_value()?;
            self.expect_punct(')')?;
            PartitionValues::Between { lower, upper }
        } else if self.eat_keyword("LESS") {
            self.expect_keyword("THAN")?;
            if self.eat_keyword("MAXVALUE") {
                PartitionValues::LessThan(None)
            } else {
                self.expect_punct('(')?;
                let bound = if self.eat_keyword("MAXVALUE") {
                    None
                } else {
                    Some(self.literal()?)
                };
                self.expect_punct(')')?;
                PartitionValues::LessThan(bound)
            }
        } else {
            return Err(self.error("one of LESS THAN, '[', IN"));
        };
        Ok(PartitionSpec { name, values })
    }

    /// `("x")`: one parenthesized literal, a bound of `VALUES [(…), (…))`.
    fn single_value(&mut self) -> PResult<Literal> {
        self.expect_punct('(')?;
        let value = self.literal()?;
        self.expect_punct(')')?;
        Ok(value)
    }

    /// `[DISTRIBUTED BY HASH(cols) [BUCKETS n] | DISTRIBUTED BY RANDOM [BUCKETS n]]`.
    fn distribution(&mut self) -> PResult<Option<DistributionSpec>> {
        if !self.eat_keyword("DISTRIBUTED") {
            return Ok(None);
        }
        self.expect_keyword("BY")?;
        let hash_columns = match self.expect_keyword_of(&["HASH", "RANDOM"])? {
            "HASH" => Some(self.ident_list()?),
            _ => None,
        };
        let buckets = if self.eat_keyword("BUCKETS") {
            Some(self.integer::<u32>("bucket count")?)
        } else {
            None
        };
        Ok(Some(match hash_columns {
            Some(columns) => DistributionSpec::Hash { columns, buckets },
            None => DistributionSpec::Random { buckets },
        }))
    }
}
