//! Exact decimal arithmetic for the checks: an `i128` count of units at a decimal scale, which
//! holds any amount an invoice states (38 significant digits). Every operation is checked, so an
//! absurd value makes its check step aside instead of overflowing.

/// The most decimal places kept; more than any real amount, quantity or rate has.
const MAX_SCALE: u32 = 30;

/// `units / 10^scale`, exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Dec {
    units: i128,
    scale: u32,
}

impl Dec {
    pub(super) const ZERO: Dec = Dec { units: 0, scale: 0 };

    /// Reads a plain decimal as `formats::decimal` accepts it (`-`? digits, optionally `.`
    /// digits; either side of the point may be empty). `None` for anything else or too large.
    pub(super) fn parse(text: &str) -> Option<Dec> {
        let text = text.trim();
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        let scale = u32::try_from(frac.len()).ok().filter(|&s| s <= MAX_SCALE)?;
        let mut units: i128 = 0;
        for b in int.bytes().chain(frac.bytes()) {
            if !b.is_ascii_digit() {
                return None;
            }
            units = units.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
        }
        Some(Dec {
            units: if negative { -units } else { units },
            scale,
        })
    }

    /// The same value at a larger `scale`.
    fn at_scale(self, scale: u32) -> Option<Dec> {
        let factor = 10i128.checked_pow(scale.checked_sub(self.scale)?)?;
        Some(Dec {
            units: self.units.checked_mul(factor)?,
            scale,
        })
    }

    pub(super) fn add(self, other: Dec) -> Option<Dec> {
        let scale = self.scale.max(other.scale);
        let (a, b) = (self.at_scale(scale)?, other.at_scale(scale)?);
        Some(Dec {
            units: a.units.checked_add(b.units)?,
            scale,
        })
    }

    pub(super) fn sub(self, other: Dec) -> Option<Dec> {
        self.add(other.neg()?)
    }

    fn neg(self) -> Option<Dec> {
        Some(Dec {
            units: self.units.checked_neg()?,
            scale: self.scale,
        })
    }

    pub(super) fn mul(self, other: Dec) -> Option<Dec> {
        let scale = self.scale.checked_add(other.scale)?;
        (scale <= MAX_SCALE).then_some(())?;
        Some(Dec {
            units: self.units.checked_mul(other.units)?,
            scale,
        })
    }

    /// A hundredth of the value, exactly (a percentage as a fraction).
    pub(super) fn percent(self) -> Option<Dec> {
        let scale = self.scale + 2;
        (scale <= MAX_SCALE).then_some(Dec {
            units: self.units,
            scale,
        })
    }

    /// The value rounded to whole cents, half away from zero, as a count of cents.
    pub(super) fn cents(self) -> Option<i128> {
        if self.scale <= 2 {
            return self.at_scale(2).map(|d| d.units);
        }
        let divisor = 10i128.checked_pow(self.scale - 2)?;
        let (quotient, remainder) = (self.units / divisor, self.units % divisor);
        let round_away = remainder.unsigned_abs() * 2 >= divisor.unsigned_abs();
        Some(if round_away {
            quotient + self.units.signum()
        } else {
            quotient
        })
    }
}

/// A count of cents as an amount with two decimals, for messages: `-1234.50`.
pub(super) fn money(cents: i128) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Dec {
        Dec::parse(text).unwrap()
    }

    #[test]
    fn invoice_decimals_parse_exactly() {
        assert_eq!(dec("1648.360").cents(), Some(164_836));
        assert_eq!(dec("-0.5").cents(), Some(-50));
        assert_eq!(dec(".5").cents(), Some(50));
        assert_eq!(dec("5.").cents(), Some(500));
        assert_eq!(dec("+7").cents(), Some(700));
        for bad in ["", ".", "-", "1,5", "1.2.3", "1e3", "--1", " 1 2"] {
            assert_eq!(Dec::parse(bad), None, "{bad}");
        }
        // 39 digits do not fit; they make a check step aside rather than wrap.
        assert_eq!(Dec::parse(&"9".repeat(39)), None);
        assert!(Dec::parse(&"9".repeat(38)).is_some());
    }

    #[test]
    fn invoice_decimals_round_half_away_from_zero() {
        assert_eq!(dec("0.005").cents(), Some(1));
        assert_eq!(dec("0.0049999").cents(), Some(0));
        assert_eq!(dec("-0.005").cents(), Some(-1));
        assert_eq!(dec("2.675").cents(), Some(268), "exact, unlike a float");
        assert_eq!(dec("-12.344").cents(), Some(-1234));
    }

    #[test]
    fn invoice_decimals_add_multiply_and_overflow_to_none() {
        let sum = dec("0.1").add(dec("0.2")).unwrap();
        assert_eq!(sum, dec("0.3"));
        assert_eq!(dec("0.10").add(dec("0.2")).unwrap().cents(), Some(30));
        assert_eq!(dec("10").sub(dec("0.01")).unwrap().cents(), Some(999));
        let tax = dec("180.00").mul(dec("19")).unwrap().percent().unwrap();
        assert_eq!(tax.cents(), Some(3420));
        let huge = dec(&"9".repeat(38));
        assert_eq!(huge.add(huge), None);
        assert_eq!(huge.mul(dec("10")), None);
        assert_eq!(
            dec("1.000000000000000000000000000001").mul(dec("1.5")),
            None
        );
        assert_eq!(Dec::ZERO.add(dec("-3.5")).unwrap().cents(), Some(-350));
    }

    #[test]
    fn invoice_money_prints_two_decimals() {
        assert_eq!(money(15_000), "150.00");
        assert_eq!(money(-5), "-0.05");
        assert_eq!(money(0), "0.00");
        assert_eq!(money(123_456_789), "1234567.89");
    }
}
