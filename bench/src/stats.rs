//! Samples of one measured quantity and their min / median / max.

use std::time::Instant;

use crate::Result;

/// What a sample measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Wall-clock seconds (lower is better).
    Seconds,
    /// Bytes (lower is better).
    Bytes,
    /// Rows per second (higher is better).
    RowsPerSecond,
}

/// The measurements of one side of a scenario, one per run.
#[derive(Clone, Debug, PartialEq)]
pub struct Samples {
    /// The unit of every value.
    pub unit: Unit,
    /// The values, in run order.
    pub values: Vec<f64>,
}

impl Samples {
    /// No values yet.
    pub fn new(unit: Unit) -> Self {
        Self {
            unit,
            values: Vec::new(),
        }
    }

    /// Adds one run's value.
    pub fn push(&mut self, value: f64) {
        self.values.push(value);
    }

    fn sorted(&self) -> Vec<f64> {
        let mut v = self.values.clone();
        v.sort_by(f64::total_cmp);
        v
    }

    /// Smallest value (NaN when empty).
    pub fn min(&self) -> f64 {
        self.sorted().first().copied().unwrap_or(f64::NAN)
    }

    /// Largest value (NaN when empty).
    pub fn max(&self) -> f64 {
        self.sorted().last().copied().unwrap_or(f64::NAN)
    }

    /// Median (mean of the middle two for an even count; NaN when empty).
    pub fn median(&self) -> f64 {
        let v = self.sorted();
        match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    }

    /// `min / median / max` in the unit's natural format.
    pub fn summary(&self) -> String {
        format!(
            "{} / {} / {}",
            format_value(self.unit, self.min()),
            format_value(self.unit, self.median()),
            format_value(self.unit, self.max())
        )
    }
}

/// Formats one value: seconds as `12.3 ms` / `4.56 s`, bytes as `MiB`, rates as `k rows/s`.
pub fn format_value(unit: Unit, value: f64) -> String {
    if value.is_nan() {
        return "—".into();
    }
    match unit {
        Unit::Seconds if value < 1e-3 => format!("{:.0} µs", value * 1e6),
        Unit::Seconds if value < 1.0 => format!("{:.1} ms", value * 1e3),
        Unit::Seconds => format!("{value:.2} s"),
        Unit::Bytes => crate::size::format_bytes(value.max(0.0) as u64),
        Unit::RowsPerSecond => format!("{:.0} k rows/s", value / 1e3),
    }
}

/// Runs `f` and returns its wall-clock seconds with its result.
pub fn timed<T>(f: impl FnOnce() -> Result<T>) -> Result<(f64, T)> {
    let start = Instant::now();
    let out = f()?;
    Ok((start.elapsed().as_secs_f64(), out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_median_max() {
        let mut s = Samples::new(Unit::Seconds);
        for v in [3.0, 1.0, 2.0] {
            s.push(v);
        }
        assert_eq!((s.min(), s.median(), s.max()), (1.0, 2.0, 3.0));
        s.push(4.0);
        assert_eq!(s.median(), 2.5);
        assert!(Samples::new(Unit::Bytes).median().is_nan());
    }

    #[test]
    fn formats_units() {
        assert_eq!(format_value(Unit::Seconds, 0.0123), "12.3 ms");
        assert_eq!(format_value(Unit::Seconds, 2.0), "2.00 s");
        assert_eq!(format_value(Unit::RowsPerSecond, 25_000.0), "25 k rows/s");
        assert_eq!(format_value(Unit::Seconds, f64::NAN), "—");
    }
}
