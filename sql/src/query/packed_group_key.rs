//! `GROUP BY` on short string columns as one integer key.
//!
//! DataFusion groups by several string columns row by row: it hashes each column, probes its
//! table and compares each column's value. That was a quarter of TPC-H Q1's CPU, which groups
//! by two CHAR(1) flags. One integer column is grouped far faster: one hash and one compare.
//!
//! When every group column is a stored CHAR or VARCHAR column so short that all of them fit in
//! eight bytes together (for each, a byte for its length or NULL and its declared bytes),
//! [`PackShortGroupKeys`] groups by [`PackGroupKey`] of them instead, and [`UnpackGroupKey`]
//! restores each column from the key after grouping. Two rows get the same key exactly when all
//! their group values are equal (NULLs included), so the groups and the answers are the same.
//!
//! The declared length comes from the table's schema, which every write enforces. A value
//! longer than that (a file from a foreign repository, say) is reported as an error rather
//! than grouped wrongly.

use std::sync::Arc;

use arrow::array::{Array, AsArray, StringViewArray, StringViewBuilder, UInt64Array};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::tree_node::Transformed;
use datafusion::common::{Column, Result as DfResult, exec_err, internal_err};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{
    Aggregate, ColumnarValue, Expr, LogicalPlan, Projection, ReturnFieldArgs, ScalarFunctionArgs,
    ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};

use crate::query::stored_column::read_stored_column;

/// The bytes of a packed key.
const KEY_BYTES: usize = 8;

/// The length byte of a NULL value (a value's length byte is at most `KEY_BYTES - 1`).
const NULL_TAG: u64 = 0xFF;

/// The name of the packed key column between the aggregate and the projection that unpacks it.
const KEY_COLUMN: &str = "__tabvault_group_key";

/// Where one string column sits in a packed key: a length (or [`NULL_TAG`]) byte at `offset`,
/// then up to `max_len` bytes of the value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Slot {
    /// The column, for error messages.
    column: String,
    /// The first byte of the slot in the key.
    offset: usize,
    /// The declared byte length of the column.
    max_len: usize,
}

impl Slot {
    /// The slot's bit position in the key: below 64, since `layout` keeps slots within it.
    fn shift(&self) -> u32 {
        debug_assert!(self.offset + 1 + self.max_len <= KEY_BYTES);
        8 * self.offset as u32
    }

    /// The slot's bits, at the bottom of a `u64`.
    fn mask(&self) -> u64 {
        low_bytes(1 + self.max_len)
    }

    /// ORs each value's slot into its row's key; an error if a value is longer than declared.
    /// Whatever a view holds, only the slot's own bits are written.
    fn pack(&self, strings: &StringViewArray, keys: &mut [u64]) -> DfResult<()> {
        let (shift, mask) = (self.shift(), self.mask());
        let mut too_long = false;
        let max_len = self.max_len as u64;
        // An inline view is zero past its value's bytes (arrow-rs checks it when it builds an
        // array from parts, and DataFusion's own grouping compares inline views whole), so the
        // slot's bytes of a value that fits are its bytes and zeros.
        for (key, view) in keys.iter_mut().zip(strings.views()) {
            let len = u64::from(*view as u32);
            too_long |= len > max_len;
            *key |= ((len | (((view >> 32) as u64) << 8)) & mask) << shift;
        }
        if let Some(nulls) = strings.nulls().filter(|nulls| nulls.null_count() > 0) {
            let clear = !(mask << shift);
            for row in (0..keys.len()).filter(|&row| nulls.is_null(row)) {
                keys[row] = (keys[row] & clear) | (NULL_TAG << shift);
            }
        }
        // A NULL's view may hold any length (Parquet's reader leaves other rows' views under
        // NULLs): only values count.
        if too_long
            && let Some(row) = (0..strings.len())
                .find(|&row| strings.is_valid(row) && strings.value(row).len() > self.max_len)
        {
            return exec_err!(
                "a value of column '{}' is {} bytes long, more than the {} bytes its type allows",
                self.column,
                strings.value(row).len(),
                self.max_len
            );
        }
        Ok(())
    }

    /// The column's values, taken back out of `keys`.
    fn unpack(&self, keys: &UInt64Array) -> DfResult<StringViewArray> {
        if keys.null_count() > 0 {
            return internal_err!("packed keys of '{}' hold NULLs", self.column);
        }
        let mut strings = StringViewBuilder::with_capacity(keys.len());
        for key in keys.values() {
            let slot = (key >> self.shift()) & self.mask();
            let tag = slot & 0xFF;
            if tag == NULL_TAG {
                strings.append_null();
                continue;
            }
            let len = tag as usize;
            if len > self.max_len {
                return internal_err!("packed length {len} of '{}' is past its slot", self.column);
            }
            let bytes = (slot >> 8).to_le_bytes();
            match std::str::from_utf8(&bytes[..len]) {
                Ok(value) => strings.append_value(value),
                Err(e) => return internal_err!("packed value of '{}': {e}", self.column),
            }
        }
        Ok(strings.finish())
    }
}

/// A `u64` with its low `n` bytes set.
fn low_bytes(n: usize) -> u64 {
    if n >= KEY_BYTES {
        u64::MAX
    } else {
        (1_u64 << (8 * n)) - 1
    }
}

/// `pack_group_key(c1, c2, …)`: the string columns' values as one `u64` per row, equal for two
/// rows exactly when all their values are.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct PackGroupKey {
    slots: Vec<Slot>,
    signature: Signature,
}

impl ScalarUDFImpl for PackGroupKey {
    fn name(&self) -> &str {
        "pack_group_key"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::UInt64)
    }

    fn return_field_from_args(&self, _args: ReturnFieldArgs) -> DfResult<FieldRef> {
        Ok(Arc::new(Field::new(self.name(), DataType::UInt64, false)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        if args.args.len() != self.slots.len() {
            return internal_err!("{} takes {} arguments", self.name(), self.slots.len());
        }
        let mut keys = vec![0_u64; args.number_rows];
        for (value, slot) in args.args.iter().zip(&self.slots) {
            let array = value.to_array(args.number_rows)?;
            let Some(strings) = array.as_string_view_opt() else {
                return internal_err!("{} takes view strings", self.name());
            };
            slot.pack(strings, &mut keys)?;
        }
        Ok(ColumnarValue::Array(Arc::new(UInt64Array::from(keys))))
    }
}

/// `unpack_group_key(key)`: one column's values out of [`PackGroupKey`]'s keys.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct UnpackGroupKey {
    slot: Slot,
    nullable: bool,
    signature: Signature,
}

impl ScalarUDFImpl for UnpackGroupKey {
    fn name(&self) -> &str {
        "unpack_group_key"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Utf8View)
    }

    fn return_field_from_args(&self, _args: ReturnFieldArgs) -> DfResult<FieldRef> {
        Ok(Arc::new(Field::new(
            self.name(),
            DataType::Utf8View,
            self.nullable,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let [key] = args.args.as_slice() else {
            return internal_err!("{} takes one argument", self.name());
        };
        let keys = key.to_array(args.number_rows)?;
        let Some(keys) = keys.as_primitive_opt() else {
            return internal_err!("{} takes a UInt64 key", self.name());
        };
        Ok(ColumnarValue::Array(Arc::new(self.slot.unpack(keys)?)))
    }
}

/// Groups by one packed key instead of several short string columns, where the table's
/// declared lengths allow it (see the module documentation).
#[derive(Debug)]
pub(crate) struct PackShortGroupKeys;

impl OptimizerRule for PackShortGroupKeys {
    fn name(&self) -> &str {
        "pack_short_group_keys"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> DfResult<Transformed<LogicalPlan>> {
        let LogicalPlan::Aggregate(aggregate) = plan else {
            return Ok(Transformed::no(plan));
        };
        match layout(&aggregate) {
            Some(slots) => packed(aggregate, slots).map(Transformed::yes),
            None => Ok(Transformed::no(LogicalPlan::Aggregate(aggregate))),
        }
    }
}

/// The key slots of `aggregate`'s group columns, if all are short stored strings that fit in
/// one key together.
fn layout(aggregate: &Aggregate) -> Option<Vec<Slot>> {
    if aggregate
        .schema
        .has_column_with_unqualified_name(KEY_COLUMN)
    {
        return None;
    }
    let input = aggregate.input.schema();
    let mut slots = Vec::with_capacity(aggregate.group_expr.len());
    let mut offset = 0;
    for expr in &aggregate.group_expr {
        let Expr::Column(column) = expr else {
            return None;
        };
        if input
            .qualified_field_from_column(column)
            .ok()?
            .1
            .data_type()
            != &DataType::Utf8View
        {
            return None;
        }
        let (stored, max_len) = read_stored_column(&aggregate.input, column, |table, name| {
            Some((name.to_owned(), table.max_len_bytes(name)?))
        })?;
        slots.push(Slot {
            column: stored,
            offset,
            max_len,
        });
        offset += 1 + max_len;
        if offset > KEY_BYTES {
            return None;
        }
    }
    (!slots.is_empty()).then_some(slots)
}

/// `aggregate` grouped by the packed key of its group columns, under a projection that gives
/// back its schema: each group column unpacked under its name, then the aggregates.
fn packed(aggregate: Aggregate, slots: Vec<Slot>) -> DfResult<LogicalPlan> {
    let original = aggregate.schema.clone();
    let pack = ScalarUDF::new_from_impl(PackGroupKey {
        slots: slots.clone(),
        signature: Signature::variadic_any(Volatility::Immutable),
    });
    let key = Expr::ScalarFunction(ScalarFunction::new_udf(
        Arc::new(pack),
        aggregate.group_expr.clone(),
    ))
    .alias(KEY_COLUMN);
    let grouped = Aggregate::try_new(aggregate.input, vec![key], aggregate.aggr_expr)?;
    let key_column = Expr::Column(Column::new_unqualified(KEY_COLUMN));
    let mut exprs = Vec::with_capacity(original.fields().len());
    for (index, (qualifier, field)) in original.iter().enumerate() {
        let expr = match slots.get(index) {
            Some(slot) => {
                let unpack = ScalarUDF::new_from_impl(UnpackGroupKey {
                    slot: slot.clone(),
                    nullable: field.is_nullable(),
                    signature: Signature::any(1, Volatility::Immutable),
                });
                Expr::ScalarFunction(ScalarFunction::new_udf(
                    Arc::new(unpack),
                    vec![key_column.clone()],
                ))
                .alias_qualified(qualifier.cloned(), field.name())
            }
            None => Expr::Column(Column::new(qualifier.cloned(), field.name())),
        };
        exprs.push(expr);
    }
    let projection = Projection::try_new(exprs, Arc::new(LogicalPlan::Aggregate(grouped)))?;
    Ok(LogicalPlan::Projection(projection))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Two slots as `layout` would place CHAR(1) and VARCHAR(5) columns.
    fn slots() -> [Slot; 2] {
        [
            Slot {
                column: "a".into(),
                offset: 0,
                max_len: 1,
            },
            Slot {
                column: "b".into(),
                offset: 2,
                max_len: 5,
            },
        ]
    }

    fn keys(a: &[Option<String>], b: &[Option<String>]) -> DfResult<UInt64Array> {
        let [slot_a, slot_b] = slots();
        let mut keys = vec![0; a.len()];
        slot_a.pack(
            &StringViewArray::from_iter(a.iter().map(Option::as_deref)),
            &mut keys,
        )?;
        slot_b.pack(
            &StringViewArray::from_iter(b.iter().map(Option::as_deref)),
            &mut keys,
        )?;
        Ok(UInt64Array::from(keys))
    }

    /// Strings of up to `max` bytes (multi-byte characters too) or NULL.
    fn value(max: usize) -> impl Strategy<Value = Option<String>> {
        proptest::option::of(
            "[a-cé\u{0}]{0,5}"
                .prop_filter_map("too long", move |s: String| (s.len() <= max).then_some(s)),
        )
    }

    proptest! {
        /// Unpacking gives back every value, and two rows share a key exactly when both their
        /// values are equal.
        #[test]
        fn keys_are_the_values(
            rows in proptest::collection::vec((value(1), value(5)), 1..40),
        ) {
            let (a, b): (Vec<_>, Vec<_>) = rows.iter().cloned().unzip();
            let keys = keys(&a, &b).expect("values fit");
            let [slot_a, slot_b] = slots();
            let back_a: Vec<Option<String>> =
                slot_a.unpack(&keys).expect("unpacks").iter().map(|v| v.map(str::to_owned)).collect();
            let back_b: Vec<Option<String>> =
                slot_b.unpack(&keys).expect("unpacks").iter().map(|v| v.map(str::to_owned)).collect();
            prop_assert_eq!(&back_a, &a);
            prop_assert_eq!(&back_b, &b);
            for i in 0..rows.len() {
                for j in 0..rows.len() {
                    prop_assert_eq!(keys.value(i) == keys.value(j), rows[i] == rows[j]);
                }
            }
        }
    }

    #[test]
    fn a_value_longer_than_declared_is_an_error() {
        let a = [Some("x".to_owned()), Some("xy".to_owned())];
        let b = [None, None];
        let error = keys(&a, &b).expect_err("too long").to_string();
        assert!(
            error.contains("column 'a' is 2 bytes long, more than the 1 bytes"),
            "{error}"
        );
    }

    #[test]
    fn a_long_value_under_a_null_is_ignored() {
        // Parquet's reader leaves other rows' views under NULLs: the long view must neither
        // fail the query nor reach the next column's slot.
        let long = StringViewArray::from_iter([Some("much too long"), Some("b")]);
        let (views, buffers, _) = long.into_parts();
        let nulls = arrow::buffer::NullBuffer::from(vec![false, true]);
        let a = StringViewArray::new(views, buffers, Some(nulls));
        let b = StringViewArray::from_iter([Some("x"), Some("")]);
        let [slot_a, slot_b] = slots();
        let mut keys = vec![0; 2];
        slot_a.pack(&a, &mut keys).expect("only the NULL is long");
        slot_b.pack(&b, &mut keys).expect("fits");
        let keys = UInt64Array::from(keys);
        let back_a = slot_a.unpack(&keys).expect("unpacks");
        let back_b = slot_b.unpack(&keys).expect("unpacks");
        assert_eq!(back_a.iter().collect::<Vec<_>>(), [None, Some("b")]);
        assert_eq!(back_b.iter().collect::<Vec<_>>(), [Some("x"), Some("")]);
    }
}
