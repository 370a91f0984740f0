//! Complaints (RMA): a customer's complaint about an order or a delivered document, handled by
//! the supplier's returns staff. Its statuses and the moves between them, who may make each, the
//! reasons and resolutions, the RMA number, and the limits of what a complaint is made of.
//!
//! Pure: the worker loads a complaint, asks [`transition`] whether the move fits the status and
//! the caller's side, and stores the result with a guard on the status it saw.

use crate::relationship::PartyRole;
use crate::{Error, Result};

/// Most lines one complaint names.
pub const MAX_LINES: usize = 100;
/// Longest description, comment, decision note.
pub const MAX_TEXT: usize = 4000;
/// Longest item text of a line (SKU, GTIN or a description).
pub const MAX_ITEM: usize = 200;

named_enum! {
    /// Where a complaint stands.
    ComplaintStatus, "complaint status" {
        /// Filed by the customer, not looked at yet.
        Received = "received",
        /// The supplier's returns staff are looking into it.
        UnderReview = "under_review",
        /// The supplier accepted it, with a resolution.
        Accepted = "accepted",
        /// The supplier rejected it, saying why.
        Rejected = "rejected",
        /// Nothing more to do (final): after a decision, or withdrawn by the customer.
        Closed = "closed",
    }
}

named_enum! {
    /// Why the customer complains.
    Reason, "complaint reason" {
        /// Arrived damaged.
        Damaged = "damaged",
        /// Another item than ordered.
        WrongItem = "wrong_item",
        /// Less than ordered, or nothing.
        Missing = "missing",
        /// Not of the quality agreed.
        Quality = "quality",
        /// Anything else (the description says what).
        Other = "other",
    }
}

named_enum! {
    /// How the supplier puts an accepted complaint right.
    Resolution, "resolution" {
        /// A new delivery of the items.
        Replacement = "replacement",
        /// Money back, as a credit note.
        CreditNote = "credit_note",
        /// The items are repaired.
        Repair = "repair",
        /// The items go back to the supplier (a return label document follows).
        Return = "return",
    }
}

named_enum! {
    /// A move of a complaint.
    Move, "complaint move" {
        /// The supplier starts looking into it.
        Review = "review",
        /// The supplier accepts it with a resolution.
        Accept = "accept",
        /// The supplier rejects it with a reason.
        Reject = "reject",
        /// The supplier closes a decided complaint.
        Close = "close",
        /// The customer takes it back before a decision.
        Withdraw = "withdraw",
    }
}

/// The status after `m` by `side`, from `status`.
///
/// # Errors
/// 403 `supplier_only` / `customer_only` for a move of the other side; 409
/// `invalid_transition` naming the status for a move that does not fit it.
pub fn transition(status: ComplaintStatus, m: Move, side: PartyRole) -> Result<ComplaintStatus> {
    use ComplaintStatus as S;
    let by_customer = matches!(m, Move::Withdraw);
    match (side, by_customer) {
        (PartyRole::Customer, false) => {
            return Err(Error::forbidden(
                "supplier_only",
                "only the supplier's staff handle a complaint",
            ))
        }
        (PartyRole::Supplier, true) => {
            return Err(Error::forbidden(
                "customer_only",
                "only the customer withdraws its complaint",
            ))
        }
        _ => {}
    }
    let next = match (status, m) {
        (S::Received, Move::Review) => S::UnderReview,
        (S::Received | S::UnderReview, Move::Accept) => S::Accepted,
        (S::Received | S::UnderReview, Move::Reject) => S::Rejected,
        (S::Accepted | S::Rejected, Move::Close)
        | (S::Received | S::UnderReview, Move::Withdraw) => S::Closed,
        _ => {
            return Err(Error::conflict(
                "invalid_transition",
                format!(
                    "a complaint that is {} cannot be moved by {}",
                    status.as_str(),
                    m.as_str()
                ),
            ))
        }
    };
    Ok(next)
}

/// The RMA number of a supplier's `seq`-th complaint, filed in `year`: `RMA-2026-00042`.
#[must_use]
pub fn number(year: i32, seq: u64) -> String {
    format!("RMA-{year}-{seq:05}")
}

/// A quantity of a complaint line: a positive decimal with at most three places (`2`, `0.5`,
/// `12.250`), trimmed.
///
/// # Errors
/// A 422 naming `field`.
pub fn quantity(field: &str, text: &str) -> Result<String> {
    let t = text.trim();
    let (whole, fraction) = t.split_once('.').unwrap_or((t, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let ok = !whole.is_empty()
        && whole.len() <= 9
        && digits(whole)
        && fraction.len() <= 3
        && digits(fraction)
        && !(t.contains('.') && fraction.is_empty())
        && t.bytes().any(|b| (b'1'..=b'9').contains(&b));
    if ok {
        Ok(t.to_owned())
    } else {
        Err(Error::invalid(
            field,
            "must be a positive number with at most three decimals, such as 2 or 0.5",
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn code(e: &Error) -> String {
        e.problem().code
    }

    #[test]
    fn the_supplier_handles_the_customer_withdraws() {
        use ComplaintStatus as S;
        let sup = PartyRole::Supplier;
        let cus = PartyRole::Customer;
        assert_eq!(
            transition(S::Received, Move::Review, sup).unwrap(),
            S::UnderReview
        );
        assert_eq!(
            transition(S::UnderReview, Move::Accept, sup).unwrap(),
            S::Accepted
        );
        assert_eq!(
            transition(S::Received, Move::Reject, sup).unwrap(),
            S::Rejected
        );
        assert_eq!(
            transition(S::Accepted, Move::Close, sup).unwrap(),
            S::Closed
        );
        assert_eq!(
            transition(S::UnderReview, Move::Withdraw, cus).unwrap(),
            S::Closed
        );
        assert_eq!(
            code(&transition(S::Received, Move::Accept, cus).unwrap_err()),
            "supplier_only"
        );
        assert_eq!(
            code(&transition(S::Received, Move::Withdraw, sup).unwrap_err()),
            "customer_only"
        );
        for (status, m, side) in [
            (S::Closed, Move::Review, sup),
            (S::Accepted, Move::Reject, sup),
            (S::UnderReview, Move::Review, sup),
            (S::Received, Move::Close, sup),
            (S::Accepted, Move::Withdraw, cus),
        ] {
            let e = transition(status, m, side).unwrap_err();
            assert_eq!(
                (e.problem().status, code(&e)),
                (409, "invalid_transition".to_owned())
            );
        }
    }

    #[test]
    fn numbers_and_quantities() {
        assert_eq!(number(2026, 42), "RMA-2026-00042");
        assert_eq!(number(2027, 123_456), "RMA-2027-123456");
        for good in ["2", " 0.5 ", "12.250", "100"] {
            assert_eq!(quantity("lines[0].quantity", good).unwrap(), good.trim());
        }
        for bad in [
            "0", "0.000", "-1", "1,5", "1.", ".5", "1.2345", "", "x", "1e3",
        ] {
            let e = quantity("lines[0].quantity", bad).unwrap_err();
            assert_eq!(
                e.problem().field.as_deref(),
                Some("lines[0].quantity"),
                "{bad}"
            );
        }
    }
}
