//! An invoice on its way to payment: where it stands ([`InvoiceState`]), who may move it where
//! ([`transition`]), and the exact sums of payable amounts per currency ([`to_e4`], [`from_e4`]).
//!
//! Only the recipient moves an invoice: it confirms receipt, disputes it (which opens a talk
//! thread with the sender) or records its payment. Overdue is not a state but a flag the cron
//! sets on an unpaid invoice whose due date passed. Pure, like every rule of the domain.

use crate::{Error, Result};

named_enum! {
    /// Where an invoice stands.
    InvoiceState, "invoice state" {
        /// Arrived; nothing recorded yet.
        New = "new",
        /// The recipient confirmed it received the invoice.
        Received = "received",
        /// The recipient disputes it (a talk thread with the sender says why).
        Disputed = "disputed",
        /// The recipient recorded its payment.
        Paid = "paid",
    }
}

named_enum! {
    /// How far the recogniser got with an invoice document.
    Recognition, "recognition" {
        /// An e-invoice, read: the summary and the checks' findings are there.
        Recognised = "recognised",
        /// Looks like an e-invoice but does not parse; the reason is kept.
        Malformed = "malformed",
        /// No e-invoice inside (a plain PDF, say): the file is shown as it is.
        Unstructured = "unstructured",
        /// Not read yet (the queue is on it).
        Pending = "pending",
    }
}

/// What a move does to an invoice in `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// It moves to the target state.
    To(InvoiceState),
    /// It is there already: the request answers as the first one did.
    Already,
}

/// Whether the recipient may move an invoice from `from` to `to`.
///
/// # Errors
/// 409 `invalid_transition` naming both states (a paid invoice is final; a disputed one can
/// only be paid).
pub fn transition(from: InvoiceState, to: InvoiceState) -> Result<Move> {
    use InvoiceState::{Disputed, New, Paid, Received};
    if from == to {
        return Ok(Move::Already);
    }
    let allowed = match to {
        Received => from == New,
        Disputed => matches!(from, New | Received),
        Paid => matches!(from, New | Received | Disputed),
        New => false,
    };
    if allowed {
        Ok(Move::To(to))
    } else {
        Err(Error::conflict(
            "invalid_transition",
            format!("an invoice that is {from} cannot be marked {to}"),
        ))
    }
}

/// Decimal places of the stored sums: amounts are kept in units of 0.0001.
const SCALE: u32 = 4;

/// An exact decimal text (`-12.5`) in units of 0.0001 (`-125000`); `None` when it has more than
/// four decimals, is no plain decimal, or does not fit.
#[must_use]
pub fn to_e4(text: &str) -> Option<i64> {
    to_scaled(text, SCALE)
}

/// An exact decimal text in units of 10^-`places` (`4.2875`, 6 → `4287500`); `None` when it
/// has more decimals, is no plain decimal, or does not fit.
#[must_use]
pub fn to_scaled(text: &str, places: u32) -> Option<i64> {
    let text = text.trim();
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) || (int.is_empty() && frac.is_empty()) {
        return None;
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > places as usize {
        return None;
    }
    let whole: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut part: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    for _ in frac.len()..places as usize {
        part *= 10;
    }
    let value = whole
        .checked_mul(10_i64.checked_pow(places)?)?
        .checked_add(part)?;
    Some(if negative { -value } else { value })
}

/// Units of 10^-`places` as a decimal text without trailing zeros (`2500`, 3 → `2.5`; `2000`,
/// 3 → `2`).
#[must_use]
pub fn plain_decimal(value: i64, places: u32) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    let unit = 10_u64.pow(places);
    let fraction = format!("{:0width$}", abs % unit, width = places as usize);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        format!("{sign}{}", abs / unit)
    } else {
        format!("{sign}{}.{fraction}", abs / unit)
    }
}

/// Units of 0.0001 as a decimal text with at least two decimals (`-125000` → `-12.50`).
#[must_use]
pub fn from_e4(value: i64) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    let unit = 10_u64.pow(SCALE);
    let frac = format!("{:04}", abs % unit);
    let frac = frac.trim_end_matches('0');
    let frac = if frac.len() < 2 {
        format!("{frac:0<2}")
    } else {
        frac.to_owned()
    };
    format!("{sign}{}.{frac}", abs / unit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use InvoiceState::{Disputed, New, Paid, Received};

    #[test]
    fn the_recipient_moves_an_invoice_forward_only() {
        assert_eq!(transition(New, Received).unwrap(), Move::To(Received));
        assert_eq!(transition(Received, Disputed).unwrap(), Move::To(Disputed));
        assert_eq!(transition(Disputed, Paid).unwrap(), Move::To(Paid));
        assert_eq!(transition(New, Paid).unwrap(), Move::To(Paid));
        assert_eq!(transition(Paid, Paid).unwrap(), Move::Already);
        for (from, to) in [
            (Paid, Disputed),
            (Paid, Received),
            (Disputed, Received),
            (Received, New),
        ] {
            let e = transition(from, to).unwrap_err();
            assert_eq!(e.status(), 409, "{from} → {to}");
        }
    }

    #[test]
    fn amounts_are_summed_exactly_in_ten_thousandths() {
        assert_eq!(to_e4("1234.5"), Some(12_345_000));
        assert_eq!(to_e4("-0.01"), Some(-100));
        assert_eq!(to_e4("+7"), Some(70_000));
        assert_eq!(to_e4("1.23450"), Some(12_345));
        assert_eq!(to_e4("1.00001"), None);
        assert_eq!(to_e4("1e3"), None);
        assert_eq!(to_e4("."), None);
        assert_eq!(to_e4("99999999999999999999"), None);
        assert_eq!(from_e4(12_345_000), "1234.50");
        assert_eq!(from_e4(-100), "-0.01");
        assert_eq!(from_e4(12_345), "1.2345");
        assert_eq!(from_e4(0), "0.00");
        let sum: i64 = ["0.10", "0.20"].iter().filter_map(|t| to_e4(t)).sum();
        assert_eq!(from_e4(sum), "0.30");
    }
}
