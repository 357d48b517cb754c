//! Legal time arithmetic: calendar periods per German BGB §§187, 188.
//!
//! Retention periods, deletion deadlines and ages are all "Fristen" in the sense of
//! §186 BGB. This module computes the **last day** of such a period (xdomea
//! `Aufbewahrungsende`, "taggenau") from a trigger date and a [`PeriodRule`]:
//!
//! - §187 Abs. 1 BGB: if the period starts with an event during a day, that day is not
//!   counted ([`Rounding::None`], `start_day_counts: false`).
//! - §187 Abs. 2 BGB: if the beginning of a day is decisive (and for ages, S. 2), that
//!   day counts (`start_day_counts: true`).
//! - §188 Abs. 1 BGB: a period in days ends at the end of its last day.
//! - §188 Abs. 2 BGB: a period in weeks, months or years ends with the day whose name or
//!   number corresponds to the start day, or, when the beginning counted, with the day
//!   before it.
//! - §188 Abs. 3 BGB: if that day does not exist in the last month (29 Feb, the 31st of a
//!   short month), the period ends with the last day of that month.
//! - Year-end starts (§147 Abs. 4 AO, §257 Abs. 5 HGB, §199 BGB): the period begins with
//!   the end of the calendar year of the trigger ([`Rounding::EndOfYear`]).
//! - DIN 66398 deletion cycles: the regular deletion deadline is moved to the end of the
//!   month or calendar quarter ([`Rounding::EndOfMonth`], [`Rounding::EndOfQuarter`]).
//!
//! All dates are proleptic Gregorian [`NaiveDate`]s; nothing here reads a clock.
//!
//! ```
//! use chrono::NaiveDate;
//! use egov_core::period::{period_end, next_day, PeriodRule, Rounding};
//!
//! let rule = PeriodRule { duration: "P10Y".parse()?, rounding: Rounding::EndOfYear, start_day_counts: false };
//! let trigger = NaiveDate::from_ymd_opt(2020, 5, 15).ok_or("date")?;
//! let end = period_end(trigger, &rule)?;
//! assert_eq!(end.to_string(), "2030-12-31");
//! assert_eq!(next_day(end)?.to_string(), "2031-01-01");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

use crate::{Error, Result};

// ---------------------------------------------------------------------------------------
// IsoDuration
// ---------------------------------------------------------------------------------------

/// An ISO 8601 duration, date part only: `PnYnMnWnD` (e.g. `P10Y`, `P6M`, `P30D`,
/// `P1Y6M`, `P2W`).
///
/// Components are non-negative integers; fractions and time parts (`T…`) are not
/// supported, since legal periods (§§187, 188 BGB) count whole days, weeks, months and
/// years. The text form is the serde form; [`fmt::Display`] writes the canonical form
/// (components in the order Y, M, W, D, zero components omitted, `P0D` for zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct IsoDuration {
    /// Calendar years (`nY`).
    pub years: u32,
    /// Calendar months (`nM` in the date part).
    pub months: u32,
    /// Weeks of seven days (`nW`).
    pub weeks: u32,
    /// Days (`nD`).
    pub days: u32,
}

impl IsoDuration {
    /// The zero duration, `P0D`.
    pub const ZERO: Self = Self {
        years: 0,
        months: 0,
        weeks: 0,
        days: 0,
    };

    /// A duration of `n` years (`PnY`).
    pub const fn from_years(n: u32) -> Self {
        Self {
            years: n,
            ..Self::ZERO
        }
    }

    /// A duration of `n` months (`PnM`).
    pub const fn from_months(n: u32) -> Self {
        Self {
            months: n,
            ..Self::ZERO
        }
    }

    /// A duration of `n` weeks (`PnW`).
    pub const fn from_weeks(n: u32) -> Self {
        Self {
            weeks: n,
            ..Self::ZERO
        }
    }

    /// A duration of `n` days (`PnD`).
    pub const fn from_days(n: u32) -> Self {
        Self {
            days: n,
            ..Self::ZERO
        }
    }

    /// Whether every component is zero.
    pub const fn is_zero(&self) -> bool {
        self.years == 0 && self.months == 0 && self.weeks == 0 && self.days == 0
    }

    /// The calendar part (years and months) only.
    const fn calendar_part(&self) -> Self {
        Self {
            years: self.years,
            months: self.months,
            weeks: 0,
            days: 0,
        }
    }

    /// The day part (weeks and days) only.
    const fn day_part(&self) -> Self {
        Self {
            years: 0,
            months: 0,
            weeks: self.weeks,
            days: self.days,
        }
    }

    /// Weeks and days as a number of days (cannot overflow `u64`).
    fn total_days(&self) -> u64 {
        u64::from(self.weeks) * 7 + u64::from(self.days)
    }
}

impl fmt::Display for IsoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("P0D");
        }
        f.write_str("P")?;
        for (n, designator) in [
            (self.years, 'Y'),
            (self.months, 'M'),
            (self.weeks, 'W'),
            (self.days, 'D'),
        ] {
            if n > 0 {
                write!(f, "{n}{designator}")?;
            }
        }
        Ok(())
    }
}

impl FromStr for IsoDuration {
    type Err = Error;

    /// Reads `PnYnMnWnD` (each component optional, at least one present, in this order,
    /// at most once; upper-case designators).
    fn from_str(s: &str) -> Result<Self> {
        let fail = |reason: String| Error::Duration {
            input: s.to_owned(),
            reason,
        };
        let Some(mut rest) = s.strip_prefix('P') else {
            let reason = if s.is_empty() {
                "empty input (expected e.g. P10Y)".to_owned()
            } else if s.starts_with('-') {
                "negative durations are not allowed".to_owned()
            } else {
                "must start with 'P' (e.g. P10Y, P6M, P30D)".to_owned()
            };
            return Err(fail(reason));
        };
        if rest.is_empty() {
            return Err(fail(
                "no components after 'P' (write P0D for a zero duration)".to_owned(),
            ));
        }
        let mut out = Self::ZERO;
        // Rank of the last designator read: Y = 1, M = 2, W = 3, D = 4.
        let mut last_rank = 0u8;
        while !rest.is_empty() {
            let digit_len = rest.bytes().take_while(u8::is_ascii_digit).count();
            let (digits, after) = rest.split_at(digit_len);
            let next = after.chars().next();
            if digits.is_empty() {
                return Err(fail(match next {
                    Some('T') => {
                        "time components (T…) are not supported; only the date part PnYnMnWnD"
                            .to_owned()
                    }
                    Some('-') => "negative components are not allowed".to_owned(),
                    Some('+') => "signs are not allowed".to_owned(),
                    Some(c @ ('Y' | 'M' | 'W' | 'D')) => format!("missing number before '{c}'"),
                    Some(c) => format!("unexpected character {c:?}"),
                    None => "unexpected end of input".to_owned(),
                }));
            }
            let (rank, designator) = match next {
                Some('Y') => (1u8, 'Y'),
                Some('M') => (2, 'M'),
                Some('W') => (3, 'W'),
                Some('D') => (4, 'D'),
                Some('.' | ',') => {
                    return Err(fail("fractional components are not allowed".to_owned()));
                }
                Some(c @ ('H' | 'S')) => {
                    return Err(fail(format!(
                        "time designator '{c}' is not supported; only the date part PnYnMnWnD"
                    )));
                }
                Some(c) => {
                    return Err(fail(format!(
                        "unexpected character {c:?} after {digits} (expected Y, M, W or D)"
                    )));
                }
                None => {
                    return Err(fail(format!(
                        "number {digits} has no designator (Y, M, W or D)"
                    )));
                }
            };
            if rank == last_rank {
                return Err(fail(format!("designator '{designator}' given twice")));
            }
            if rank < last_rank {
                return Err(fail(format!(
                    "designator '{designator}' out of order (expected order Y, M, W, D)"
                )));
            }
            last_rank = rank;
            let n: u32 = digits
                .parse()
                .map_err(|_| fail(format!("number {digits} is too large (max {})", u32::MAX)))?;
            match designator {
                'Y' => out.years = n,
                'M' => out.months = n,
                'W' => out.weeks = n,
                _ => out.days = n,
            }
            rest = after.get(designator.len_utf8()..).unwrap_or_default();
        }
        Ok(out)
    }
}

impl Serialize for IsoDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IsoDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = IsoDuration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ISO 8601 duration such as \"P10Y\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IsoDuration, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

// ---------------------------------------------------------------------------------------
// Calendar arithmetic
// ---------------------------------------------------------------------------------------

fn out_of_range(date: NaiveDate, what: impl fmt::Display) -> Error {
    Error::DateOutOfRange(format!("{date} {what}"))
}

/// Adds years and months (§188 Abs. 2 BGB: the day corresponding by number); returns the
/// date and whether it was clamped to the month end because that day does not exist
/// (§188 Abs. 3 BGB).
fn add_calendar(date: NaiveDate, d: IsoDuration) -> Result<(NaiveDate, bool)> {
    let months = d
        .years
        .checked_mul(12)
        .and_then(|m| m.checked_add(d.months))
        .ok_or_else(|| out_of_range(date, format_args!("+ {}", d.calendar_part())))?;
    let shifted = date
        .checked_add_months(Months::new(months))
        .ok_or_else(|| out_of_range(date, format_args!("+ {}", d.calendar_part())))?;
    Ok((shifted, shifted.day() != date.day()))
}

fn add_days(date: NaiveDate, days: u64) -> Result<NaiveDate> {
    date.checked_add_days(Days::new(days))
        .ok_or_else(|| out_of_range(date, format_args!("+ {days} days")))
}

fn previous_day(date: NaiveDate) -> Result<NaiveDate> {
    date.pred_opt()
        .ok_or_else(|| out_of_range(date, "has no previous day"))
}

/// Adds a duration by calendar arithmetic (§188 Abs. 2, 3 BGB).
///
/// Years and months first: the day of the month is kept, or clamped to the last day of the
/// target month when it does not exist there (§188 Abs. 3 BGB: 31 Jan + `P1M` = 28/29 Feb,
/// 29 Feb + `P1Y` = 28 Feb). Then `weeks * 7 + days` are added as days.
///
/// # Errors
/// [`Error::DateOutOfRange`] when the result is outside chrono's range.
pub fn add_duration(date: NaiveDate, d: IsoDuration) -> Result<NaiveDate> {
    let (shifted, _) = add_calendar(date, d)?;
    add_days(shifted, d.total_days())
}

/// The day after `date`: the first day after a period, e.g. the first day on which
/// disposal is permitted (`retention_end + 1`).
///
/// # Errors
/// [`Error::DateOutOfRange`] for chrono's last representable date.
pub fn next_day(date: NaiveDate) -> Result<NaiveDate> {
    date.succ_opt()
        .ok_or_else(|| out_of_range(date, "has no next day"))
}

/// A calendar unit whose last day [`end_of`] finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// Calendar month.
    Month,
    /// Calendar quarter (Jan–Mar, Apr–Jun, Jul–Sep, Oct–Dec).
    Quarter,
    /// Calendar year.
    Year,
}

const fn is_leap_year(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

const fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The last day of the calendar month, quarter or year containing `date`.
pub fn end_of(date: NaiveDate, kind: PeriodKind) -> NaiveDate {
    let year = date.year();
    let month = match kind {
        PeriodKind::Month => date.month(),
        PeriodKind::Quarter => date.month0() / 3 * 3 + 3,
        PeriodKind::Year => 12,
    };
    // Always representable: chrono's range ends on 31 Dec.
    NaiveDate::from_ymd_opt(year, month, days_in_month(year, month)).unwrap_or(date)
}

// ---------------------------------------------------------------------------------------
// Period rules
// ---------------------------------------------------------------------------------------

/// How the end of a period is aligned to the calendar (`rounding` in the retention data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Event period per §187 Abs. 1, §188 Abs. 2, 3 BGB: exact to the day.
    #[default]
    None,
    /// Computed as [`Rounding::None`], then moved to the last day of the month
    /// (DIN 66398 deletion cycle).
    EndOfMonth,
    /// Computed as [`Rounding::None`], then moved to the last day of the calendar quarter
    /// (DIN 66398 deletion cycle).
    EndOfQuarter,
    /// The period begins at the end of the calendar year of the trigger (31 Dec; §147
    /// Abs. 4 AO, §257 Abs. 5 HGB, §199 BGB); for whole years it ends on 31 Dec of
    /// trigger year + years.
    EndOfYear,
}

impl Rounding {
    /// The name used in data files: `none`, `end_of_month`, `end_of_quarter`, `end_of_year`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::EndOfMonth => "end_of_month",
            Self::EndOfQuarter => "end_of_quarter",
            Self::EndOfYear => "end_of_year",
        }
    }

    /// The calendar unit this rounding aligns to, if any.
    pub const fn period_kind(self) -> Option<PeriodKind> {
        match self {
            Self::None => None,
            Self::EndOfMonth => Some(PeriodKind::Month),
            Self::EndOfQuarter => Some(PeriodKind::Quarter),
            Self::EndOfYear => Some(PeriodKind::Year),
        }
    }
}

impl fmt::Display for Rounding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A legal period: its length, its calendar alignment and how its first day is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct PeriodRule {
    /// Length of the period (ISO 8601, e.g. `P10Y`).
    pub duration: IsoDuration,
    /// Calendar alignment (see [`Rounding`]).
    pub rounding: Rounding,
    /// §187 Abs. 2 BGB: the beginning of the trigger day is decisive, so the trigger day
    /// counts (ages, §187 Abs. 2 S. 2 BGB). `false` (the default): §187 Abs. 1 BGB, the day
    /// of the triggering event is not counted.
    #[serde(default)]
    pub start_day_counts: bool,
}

/// The last day of the period (`retention_end`, xdomea `Aufbewahrungsende`).
///
/// - [`Rounding::EndOfYear`]: the period begins at 31 Dec of the trigger year (§147 Abs. 4
///   AO); the duration is then added as an event period (31 Dec + `P10Y` = 31 Dec ten
///   years later; 31 Dec + `P6M` = 30 Jun).
/// - [`Rounding::None`]: §187 Abs. 1, §188 Abs. 2 BGB, the trigger day is not counted and
///   the end is trigger + duration, clamped to the month end when the corresponding day
///   does not exist (§188 Abs. 3 BGB).
/// - [`Rounding::EndOfMonth`] / [`Rounding::EndOfQuarter`]: as `None`, then moved to the
///   last day of the month / calendar quarter.
/// - `start_day_counts` (§187 Abs. 2 BGB): the period ends with the day before the
///   corresponding day; if the corresponding day does not exist, with the last day of that
///   month (§188 Abs. 3 BGB: 2012-02-29 + `P29Y` → 2041-02-28). Days and weeks then count
///   the trigger day as the first day.
///
/// A zero duration ends on the trigger day (or, when the start day counts, on the day
/// before it: a period of no days).
///
/// # Errors
/// [`Error::DateOutOfRange`] when a date leaves chrono's range.
pub fn period_end(trigger: NaiveDate, rule: &PeriodRule) -> Result<NaiveDate> {
    compute(trigger, rule, &mut Silent)
}

/// [`period_end`] together with the steps of the computation in English, citing the
/// norms (for reports and the CLI).
///
/// # Errors
/// As [`period_end`].
pub fn period_end_explained(
    trigger: NaiveDate,
    rule: &PeriodRule,
) -> Result<(NaiveDate, Vec<String>)> {
    let mut steps = Vec::new();
    let end = compute(trigger, rule, &mut steps)?;
    Ok((end, steps))
}

/// Receives the explanation steps; the silent sink never formats them.
trait Explain {
    fn step(&mut self, text: impl FnOnce() -> String);
}

struct Silent;

impl Explain for Silent {
    fn step(&mut self, _text: impl FnOnce() -> String) {}
}

impl Explain for Vec<String> {
    fn step(&mut self, text: impl FnOnce() -> String) {
        self.push(text());
    }
}

/// The one implementation behind [`period_end`] and [`period_end_explained`].
fn compute(trigger: NaiveDate, rule: &PeriodRule, ex: &mut impl Explain) -> Result<NaiveDate> {
    let d = rule.duration;
    ex.step(|| {
        format!(
            "trigger {trigger}; period {d}, rounding {}, {}",
            rule.rounding,
            if rule.start_day_counts {
                "start day counts"
            } else {
                "start day not counted"
            }
        )
    });
    let end = match rule.rounding {
        Rounding::EndOfYear => {
            let year_end = end_of(trigger, PeriodKind::Year);
            ex.step(|| {
                format!(
                    "§147 Abs. 4 AO-style year-end start: period begins {year_end} \
                     (end of the calendar year of the trigger)"
                )
            });
            if rule.start_day_counts {
                // Counting from the beginning of 1 Jan gives the same end as counting
                // from the event 31 Dec; compute it the way the rule states it.
                from_beginning(next_day(year_end)?, d, ex)?
            } else {
                from_event(year_end, d, ex)?
            }
        }
        Rounding::None | Rounding::EndOfMonth | Rounding::EndOfQuarter => {
            let exact = if rule.start_day_counts {
                from_beginning(trigger, d, ex)?
            } else {
                from_event(trigger, d, ex)?
            };
            match rule.rounding.period_kind() {
                Some(kind) => {
                    let rounded = end_of(exact, kind);
                    ex.step(|| {
                        format!(
                            "DIN 66398 deletion cycle: moved to the end of the {} → {rounded}",
                            match kind {
                                PeriodKind::Month => "month",
                                PeriodKind::Quarter => "calendar quarter",
                                PeriodKind::Year => "calendar year",
                            }
                        )
                    });
                    rounded
                }
                None => exact,
            }
        }
    };
    ex.step(|| match end.succ_opt() {
        Some(after) => format!("period ends {end} (last day); first day after it {after}"),
        None => format!("period ends {end} (last day)"),
    });
    Ok(end)
}

/// `year-month-day` as written, also for days that do not exist.
fn nominal(date: NaiveDate, day: u32) -> String {
    format!("{:04}-{:02}-{day:02}", date.year(), date.month())
}

/// §187 Abs. 1 BGB: the period starts with an event on `event_day`, which is not counted.
fn from_event(event_day: NaiveDate, d: IsoDuration, ex: &mut impl Explain) -> Result<NaiveDate> {
    ex.step(|| format!("§187 Abs. 1 BGB: the day of the event, {event_day}, is not counted"));
    let mut end = event_day;
    let cal = d.calendar_part();
    if !cal.is_zero() {
        let (shifted, clamped) = add_calendar(event_day, d)?;
        if clamped {
            ex.step(|| {
                format!(
                    "+{cal} → {} does not exist; §188 Abs. 3 BGB: last day of that month, {shifted}",
                    nominal(shifted, event_day.day())
                )
            });
        } else {
            ex.step(|| {
                format!("+{cal} → {shifted} (§188 Abs. 2 BGB: the day corresponding by number)")
            });
        }
        end = shifted;
    }
    let days = d.total_days();
    if days > 0 {
        let from = end;
        end = add_days(from, days)?;
        ex.step(|| {
            format!(
                "+{} → {end} (§188 Abs. 1, 2 BGB: {days} days)",
                d.day_part()
            )
        });
    }
    if d.is_zero() {
        ex.step(|| format!("zero period: ends on {end}"));
    }
    Ok(end)
}

/// §187 Abs. 2 BGB: the beginning of `first_day` is decisive, so that day counts.
fn from_beginning(
    first_day: NaiveDate,
    d: IsoDuration,
    ex: &mut impl Explain,
) -> Result<NaiveDate> {
    ex.step(|| {
        format!("§187 Abs. 2 BGB: the beginning of {first_day} is decisive; that day counts")
    });
    let cal = d.calendar_part();
    let days = d.total_days();
    if cal.is_zero() {
        let end = match days.checked_sub(1) {
            Some(rest) => add_days(first_day, rest)?,
            None => previous_day(first_day)?,
        };
        ex.step(|| {
            format!(
                "+{} counted from {first_day} inclusive → {end} (§188 Abs. 1, 2 BGB)",
                d.day_part()
            )
        });
        return Ok(end);
    }
    let (corresponding, clamped) = add_calendar(first_day, d)?;
    let cal_end = if clamped {
        ex.step(|| {
            format!(
                "+{cal} → corresponding day {} does not exist; §188 Abs. 3 BGB: \
                 ends with the last day of that month, {corresponding}",
                nominal(corresponding, first_day.day())
            )
        });
        corresponding
    } else {
        let before = previous_day(corresponding)?;
        ex.step(|| {
            format!(
                "+{cal} → corresponding day {corresponding}; §188 Abs. 2 BGB: \
                 ends with the day before, {before}"
            )
        });
        before
    };
    if days == 0 {
        return Ok(cal_end);
    }
    let end = add_days(cal_end, days)?;
    ex.step(|| {
        format!(
            "+{} → {end} (§188 Abs. 1, 2 BGB: {days} days)",
            d.day_part()
        )
    });
    Ok(end)
}
