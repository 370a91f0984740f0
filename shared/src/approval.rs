//! Approvals of proofs: the status machine of an approval and the rules of who decides.
//!
//! A supplier attaches a proof (a print approval pattern) to a document and asks its customer to
//! approve it. The proof is `pending` until a person of the customer decides (`approved` or
//! `rejected`, for good) or a newer proof for the same document replaces it (`superseded`).
//! Pure functions of the stored state and the caller, so the approvals worker only loads a row,
//! asks here, and stores the answer.

use crate::ids::{ApprovalId, CompanyId, UserId};
use crate::permissions::{Permission, Principal, PrincipalKind};
use crate::relationship::PartyRole;
use crate::{validate, Error, Result};

named_enum! {
    /// Where an approval stands.
    ApprovalStatus, "approval status" {
        /// Waiting for the customer's decision.
        Pending = "pending",
        /// The customer approved the proof; final.
        Approved = "approved",
        /// The customer rejected the proof; final.
        Rejected = "rejected",
        /// A newer proof for the same document replaced it before anyone decided; final.
        Superseded = "superseded",
    }
}

named_enum! {
    /// What the customer decided about a proof.
    Decision, "decision" {
        Approved = "approved",
        Rejected = "rejected",
    }
}

impl Decision {
    /// The status an approval takes with this decision.
    #[must_use]
    pub fn status(self) -> ApprovalStatus {
        match self {
            Self::Approved => ApprovalStatus::Approved,
            Self::Rejected => ApprovalStatus::Rejected,
        }
    }

    /// The decision an approval of `status` carries, if it was decided.
    #[must_use]
    pub fn of(status: ApprovalStatus) -> Option<Decision> {
        match status {
            ApprovalStatus::Approved => Some(Self::Approved),
            ApprovalStatus::Rejected => Some(Self::Rejected),
            ApprovalStatus::Pending | ApprovalStatus::Superseded => None,
        }
    }
}

/// The most characters of the note sent with a proof.
pub const NOTE_MAX: usize = 2000;
/// The most characters of a decision's comment.
pub const COMMENT_MAX: usize = 2000;
/// The most approvers one proof may name.
pub const APPROVERS_MAX: usize = 50;

/// Where a proof's file lives in the bucket: under the customer company (whose people decide
/// on it), then the approval id.
#[must_use]
pub fn object_key(customer: &CompanyId, approval: &ApprovalId) -> String {
    format!("{customer}/proofs/{approval}")
}

/// Who is asking to decide an approval, and about what.
#[derive(Debug, Clone, Copy)]
pub struct DecideRequest<'a> {
    /// The caller's side of the relationship the approval belongs to.
    pub side: PartyRole,
    /// The caller.
    pub caller: &'a Principal,
    /// The approvers named with the proof; `None`: anyone of the customer who may decide.
    pub approvers: Option<&'a [UserId]>,
    /// The approval's status now.
    pub status: ApprovalStatus,
}

/// Whether the caller may decide the approval now.
///
/// # Errors
/// 403 `not_customer` for the supplier's side; 403 `user_required` for an API key (a decision
/// is a person's signature); 403 `permission_missing` without `approvals.decide`; 403
/// `not_an_approver` when approvers are named and the caller is none of them; 409
/// `already_decided` for an approved or rejected proof; 409 `superseded` for a replaced one.
pub fn may_decide(request: &DecideRequest<'_>) -> Result<()> {
    if request.side != PartyRole::Customer {
        return Err(Error::forbidden(
            "not_customer",
            "only the customer of the relationship decides on a proof",
        ));
    }
    let user = request.caller.require_user()?;
    request.caller.require(Permission::ApprovalsDecide)?;
    if let Some(approvers) = request.approvers {
        if !approvers.contains(user) {
            return Err(Error::forbidden(
                "not_an_approver",
                "the supplier named other approvers for this proof",
            ));
        }
    }
    match request.status {
        ApprovalStatus::Pending => Ok(()),
        ApprovalStatus::Approved | ApprovalStatus::Rejected => Err(Error::conflict(
            "already_decided",
            format!(
                "the proof was already {}; a decision cannot be changed",
                request.status
            ),
        )),
        ApprovalStatus::Superseded => Err(Error::conflict(
            "superseded",
            "a newer proof replaced this one; decide on the newest version",
        )),
    }
}

/// Whether `user` is among those who may decide a pending approval (for the "to decide by me"
/// list): the customer's side, `approvals.decide`, and named if approvers were named.
#[must_use]
pub fn is_decider(caller: &Principal, approvers: Option<&[UserId]>) -> bool {
    caller.kind == PrincipalKind::User
        && caller.has(Permission::ApprovalsDecide)
        && match (approvers, &caller.user_id) {
            (None, _) => true,
            (Some(list), Some(me)) => list.contains(me),
            (Some(_), None) => false,
        }
}

/// Reads the `Tradepost-Approvers` header: user ids separated by commas, blanks ignored,
/// duplicates dropped (first mention kept). An absent or blank header names nobody (`None`).
///
/// # Errors
/// A 422 on `approvers` for an element that is not a user id, or more than [`APPROVERS_MAX`].
pub fn parse_approvers(raw: Option<&str>) -> Result<Option<Vec<UserId>>> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let mut out: Vec<UserId> = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let id = UserId::parse_field("approvers", part)?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    if out.len() > APPROVERS_MAX {
        return Err(Error::invalid(
            "approvers",
            format!("name at most {APPROVERS_MAX} approvers"),
        ));
    }
    Ok((!out.is_empty()).then_some(out))
}

/// The note sent with a proof (`Tradepost-Note`, UTF-8 may be percent-encoded).
///
/// # Errors
/// A 422 on `note` when it does not decode, is blank, or is longer than [`NOTE_MAX`].
pub fn note(raw: Option<&str>) -> Result<Option<String>> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let decoded = urlencoding::decode(raw)
        .map_err(|_| Error::invalid("note", "percent-encoding must decode to UTF-8"))?;
    validate::optional_text("note", Some(&decoded), NOTE_MAX)
}

/// The comment of a decision: a rejection must say why, an approval may.
///
/// # Errors
/// A 422 on `comment` when a rejection has none (or a blank one), or it is longer than
/// [`COMMENT_MAX`].
pub fn comment(decision: Decision, raw: Option<&str>) -> Result<Option<String>> {
    let blank = raw.is_none_or(|c| c.trim().is_empty());
    match decision {
        Decision::Rejected if blank => {
            Err(Error::invalid("comment", "say why the proof is rejected"))
        }
        Decision::Approved if blank => Ok(None),
        _ => validate::optional_text("comment", raw, COMMENT_MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permissions::Role;

    fn user(id: &UserId, permissions: &[Permission]) -> Principal {
        Principal {
            kind: PrincipalKind::User,
            user_id: Some(id.clone()),
            api_key_id: None,
            company_id: crate::ids::CompanyId::new(crate::time::now()).unwrap(),
            role: Role::Member,
            permissions: permissions.to_vec(),
            session_id: None,
        }
    }

    fn uid() -> UserId {
        UserId::new(crate::time::now()).unwrap()
    }

    fn code(result: Result<()>) -> (u16, String) {
        let e = result.unwrap_err();
        (e.status(), e.problem().code.to_string())
    }

    #[test]
    fn statuses_and_decisions_have_their_wire_names() {
        assert_eq!(
            ApprovalStatus::ALL.map(ApprovalStatus::as_str),
            ["pending", "approved", "rejected", "superseded"]
        );
        assert_eq!(Decision::Rejected.status(), ApprovalStatus::Rejected);
        assert_eq!(Decision::Approved.status(), ApprovalStatus::Approved);
        assert_eq!(
            Decision::of(ApprovalStatus::Approved),
            Some(Decision::Approved)
        );
        assert_eq!(Decision::of(ApprovalStatus::Superseded), None);
        assert_eq!(
            ApprovalStatus::parse("status", "decided")
                .unwrap_err()
                .status(),
            422
        );
    }

    #[test]
    fn a_customer_with_the_permission_decides_a_pending_proof() {
        let me = uid();
        let caller = user(&me, &[Permission::ApprovalsDecide]);
        let request = DecideRequest {
            side: PartyRole::Customer,
            caller: &caller,
            approvers: None,
            status: ApprovalStatus::Pending,
        };
        assert!(may_decide(&request).is_ok());
        let named = [uid(), me.clone()];
        assert!(may_decide(&DecideRequest {
            approvers: Some(&named),
            ..request
        })
        .is_ok());
    }

    #[test]
    fn everyone_else_is_refused_with_the_exact_reason() {
        let me = uid();
        let decider = user(&me, &[Permission::ApprovalsDecide]);
        let base = DecideRequest {
            side: PartyRole::Customer,
            caller: &decider,
            approvers: None,
            status: ApprovalStatus::Pending,
        };
        assert_eq!(
            code(may_decide(&DecideRequest {
                side: PartyRole::Supplier,
                ..base
            })),
            (403, "not_customer".into())
        );
        let mut key = decider.clone();
        key.kind = PrincipalKind::ApiKey;
        key.user_id = None;
        assert_eq!(
            code(may_decide(&DecideRequest {
                caller: &key,
                ..base
            })),
            (403, "user_required".into())
        );
        let reader = user(&me, &[Permission::DocumentsReceive]);
        assert_eq!(
            code(may_decide(&DecideRequest {
                caller: &reader,
                ..base
            })),
            (403, "permission_missing".into())
        );
        let others = [uid()];
        assert_eq!(
            code(may_decide(&DecideRequest {
                approvers: Some(&others),
                ..base
            })),
            (403, "not_an_approver".into())
        );
        for status in [ApprovalStatus::Approved, ApprovalStatus::Rejected] {
            assert_eq!(
                code(may_decide(&DecideRequest { status, ..base })),
                (409, "already_decided".into())
            );
        }
        assert_eq!(
            code(may_decide(&DecideRequest {
                status: ApprovalStatus::Superseded,
                ..base
            })),
            (409, "superseded".into())
        );
    }

    #[test]
    fn admins_decide_without_a_listed_permission() {
        let me = uid();
        let mut admin = user(&me, &[]);
        admin.role = Role::Admin;
        assert!(is_decider(&admin, None));
        assert!(!is_decider(&admin, Some(&[uid()])));
        assert!(is_decider(&admin, Some(&[me])));
        let reader = user(&uid(), &[Permission::DocumentsReceive]);
        assert!(!is_decider(&reader, None));
    }

    #[test]
    fn proofs_live_under_the_customer() {
        let now = crate::time::now();
        let customer = CompanyId::new(now).unwrap();
        let id = ApprovalId::new(now).unwrap();
        assert_eq!(
            object_key(&customer, &id),
            format!("{customer}/proofs/{id}")
        );
    }

    #[test]
    fn approvers_are_user_ids_separated_by_commas() {
        let (a, b) = (uid(), uid());
        assert_eq!(parse_approvers(None).unwrap(), None);
        assert_eq!(parse_approvers(Some(" , ")).unwrap(), None);
        assert_eq!(
            parse_approvers(Some(&format!(" {a} ,{b},{a}"))).unwrap(),
            Some(vec![a.clone(), b])
        );
        let e = parse_approvers(Some(&format!("{a},co_x"))).unwrap_err();
        assert_eq!(e.status(), 422);
        assert!(matches!(e, Error::Invalid { ref field, .. } if field == "approvers"));
        let many: Vec<String> = (0..=APPROVERS_MAX).map(|_| uid().to_string()).collect();
        assert_eq!(
            parse_approvers(Some(&many.join(","))).unwrap_err().status(),
            422
        );
    }

    #[test]
    fn notes_and_comments_are_limited() {
        assert_eq!(note(None).unwrap(), None);
        assert_eq!(
            note(Some("Farbe%20bitte%20pr%C3%BCfen"))
                .unwrap()
                .as_deref(),
            Some("Farbe bitte prüfen")
        );
        assert!(note(Some("%FF")).is_err());
        assert!(note(Some("  ")).is_err());
        assert!(note(Some(&"x".repeat(NOTE_MAX + 1))).is_err());
        assert!(note(Some(&"x".repeat(NOTE_MAX))).is_ok());

        assert_eq!(comment(Decision::Approved, None).unwrap(), None);
        assert_eq!(comment(Decision::Approved, Some(" ")).unwrap(), None);
        assert_eq!(
            comment(Decision::Approved, Some(" fine "))
                .unwrap()
                .as_deref(),
            Some("fine")
        );
        for raw in [None, Some(""), Some("  ")] {
            let e = comment(Decision::Rejected, raw).unwrap_err();
            assert!(matches!(e, Error::Invalid { ref field, .. } if field == "comment"));
        }
        assert!(comment(Decision::Rejected, Some(&"x".repeat(COMMENT_MAX + 1))).is_err());
        assert_eq!(
            comment(Decision::Rejected, Some("Logo too small"))
                .unwrap()
                .as_deref(),
            Some("Logo too small")
        );
    }
}
