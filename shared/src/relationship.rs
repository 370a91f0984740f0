//! Relationships between two companies: the status state machine (request, approve, reject,
//! block, unblock), the parties' roles (customer and supplier), and the services a relationship
//! carries with who may switch them on and off.
//!
//! All rules live here as pure functions of the current state, the action and the actor, so the
//! edge only loads a row, calls [`transition`] or [`change_service`], and stores the result.

use serde::{Deserialize, Serialize};

use crate::ids::CompanyId;
use crate::{Error, Result};

/// The key that makes a relationship unique per pair of companies, whichever side asked.
#[must_use]
pub fn pair_key(a: &CompanyId, b: &CompanyId) -> String {
    if a < b {
        format!("{a}:{b}")
    } else {
        format!("{b}:{a}")
    }
}

named_enum! {
    /// Where a relationship stands.
    RelationshipStatus, "relationship status" {
        /// Asked for by the requester, waiting for the addressee.
        Requested = "requested",
        /// Approved: the companies work together.
        Active = "active",
        /// Declined by the addressee; may be requested anew.
        Rejected = "rejected",
        /// One side shut the other out.
        Blocked = "blocked",
    }
}

named_enum! {
    /// What a company is to its partner in a relationship.
    PartyRole, "party role" {
        /// Buys; asks for services.
        Customer = "customer",
        /// Sells; decides which services it offers.
        Supplier = "supplier",
    }
}

impl PartyRole {
    /// The partner's role.
    #[must_use]
    pub fn opposite(self) -> PartyRole {
        match self {
            Self::Customer => Self::Supplier,
            Self::Supplier => Self::Customer,
        }
    }

    /// The side `company` is of something between `supplier` and its customer (a complaint, a
    /// request for a quote): the supplier's, or else the customer's.
    #[must_use]
    pub fn of(supplier: &CompanyId, company: &CompanyId) -> PartyRole {
        if company == supplier {
            Self::Supplier
        } else {
            Self::Customer
        }
    }
}

named_enum! {
    /// A service a relationship can carry.
    Service, "service" {
        /// Document mailbox.
        Documents = "documents",
        /// Proof approvals.
        Approvals = "approvals",
        /// Talk threads.
        Talk = "talk",
        /// Exchange of business cards.
        Cards = "cards",
        /// Appointment booking.
        Appointments = "appointments",
        /// Ordering from the supplier's catalogs: on while at least one catalog is enabled for
        /// the customer (the catalog worker keeps it; it is never asked for or set by hand).
        Order = "order",
    }
}

named_enum! {
    /// A service's state in one relationship; inactive unless stated otherwise.
    #[derive(Default)]
    ServiceState, "service state" {
        /// Offered by the supplier and usable.
        Enabled = "enabled",
        /// Asked for by the customer, waiting for the supplier.
        Requested = "requested",
        /// Off.
        #[default]
        Inactive = "inactive",
    }
}

named_enum! {
    /// Something a party does to a relationship.
    Action, "relationship action" {
        /// Accept a request.
        Approve = "approve",
        /// Decline a request.
        Reject = "reject",
        /// Shut the partner out.
        Block = "block",
        /// Lift one's own block.
        Unblock = "unblock",
    }
}

named_enum! {
    /// Which end of a relationship a company is on.
    Side, "side" {
        /// The company that asked for the relationship.
        Requester = "requester",
        /// The company that was asked.
        Addressee = "addressee",
    }
}

/// The state of every service of one relationship. Serialised as
/// `{"documents":"enabled","approvals":"requested",…}`; a missing service reads as inactive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Services {
    /// Document mailbox.
    pub documents: ServiceState,
    /// Proof approvals.
    pub approvals: ServiceState,
    /// Talk threads.
    pub talk: ServiceState,
    /// Business cards.
    pub cards: ServiceState,
    /// Appointment booking.
    pub appointments: ServiceState,
    /// Ordering from catalogs.
    pub order: ServiceState,
}

impl Services {
    /// The state of one service.
    #[must_use]
    pub fn get(&self, service: Service) -> ServiceState {
        match service {
            Service::Documents => self.documents,
            Service::Approvals => self.approvals,
            Service::Talk => self.talk,
            Service::Cards => self.cards,
            Service::Appointments => self.appointments,
            Service::Order => self.order,
        }
    }

    /// Changes the state of one service.
    pub fn set(&mut self, service: Service, state: ServiceState) {
        let slot = match service {
            Service::Documents => &mut self.documents,
            Service::Approvals => &mut self.approvals,
            Service::Talk => &mut self.talk,
            Service::Cards => &mut self.cards,
            Service::Appointments => &mut self.appointments,
            Service::Order => &mut self.order,
        };
        *slot = state;
    }

    /// What a new relationship request asks for: everything but appointments.
    #[must_use]
    pub fn default_request() -> Services {
        Services {
            documents: ServiceState::Requested,
            approvals: ServiceState::Requested,
            talk: ServiceState::Requested,
            cards: ServiceState::Requested,
            appointments: ServiceState::Inactive,
            order: ServiceState::Inactive,
        }
    }

    /// The services once the relationship is approved: whatever was asked for is granted.
    #[must_use]
    pub fn on_approval(&self) -> Services {
        let mut out = *self;
        for service in Service::ALL {
            if out.get(service) == ServiceState::Requested {
                out.set(service, ServiceState::Enabled);
            }
        }
        out
    }

    /// The storage form (a JSON object).
    #[must_use]
    pub fn to_json_string(&self) -> String {
        let pairs: Vec<String> = Service::ALL
            .iter()
            .map(|s| format!("\"{}\":\"{}\"", s.as_str(), self.get(*s).as_str()))
            .collect();
        format!("{{{}}}", pairs.join(","))
    }

    /// Reads the storage form back.
    ///
    /// # Errors
    /// An internal error when the stored text is not a services object: rows are written only by
    /// [`Self::to_json_string`], so anything else is corruption, not bad input.
    pub fn from_json_str(text: &str) -> Result<Services> {
        serde_json::from_str(text)
            .map_err(|e| Error::internal(format!("stored services are unreadable: {e}")))
    }
}

/// The supplier's own settings on a customer. Never shown to the customer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The supplier's number for the customer, stamped on every document the customer sends.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    pub customer_number: Option<String>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100)]
    pub discount_percent: Option<f64>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    pub grouping: Option<String>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    pub sales_channel: Option<String>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 500)]
    pub shipping_terms: Option<String>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 500)]
    pub payment_terms: Option<String>,
    /// The supplier's internal remark on the customer.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000)]
    pub internal_remark: Option<String>,
}

impl Settings {
    /// Checks lengths and the discount range; field names are reported as `settings.<name>`.
    ///
    /// # Errors
    /// A 422 naming the field.
    pub fn validated(self) -> Result<Settings> {
        use crate::validate;
        let short = |name: &str, v: Option<String>| {
            validate::optional_text(&format!("settings.{name}"), v.as_deref(), 100)
        };
        Ok(Settings {
            customer_number: short("customer_number", self.customer_number)?,
            discount_percent: self
                .discount_percent
                .map(|d| validate::percent("settings.discount_percent", d))
                .transpose()?,
            grouping: short("grouping", self.grouping)?,
            sales_channel: short("sales_channel", self.sales_channel)?,
            shipping_terms: validate::optional_text(
                "settings.shipping_terms",
                self.shipping_terms.as_deref(),
                500,
            )?,
            payment_terms: validate::optional_text(
                "settings.payment_terms",
                self.payment_terms.as_deref(),
                500,
            )?,
            internal_remark: validate::optional_text(
                "settings.internal_remark",
                self.internal_remark.as_deref(),
                2000,
            )?,
        })
    }
}

/// The status of a relationship together with what unblocking needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelState {
    /// Where the relationship stands.
    pub status: RelationshipStatus,
    /// Who blocked it; set exactly when `status` is blocked.
    pub blocked_by: Option<Side>,
    /// The status to return to on unblocking; set exactly when `status` is blocked.
    pub status_before_block: Option<RelationshipStatus>,
}

impl RelState {
    /// A state that is not blocked.
    #[must_use]
    pub fn new(status: RelationshipStatus) -> RelState {
        RelState {
            status,
            blocked_by: None,
            status_before_block: None,
        }
    }
}

/// Applies `action`, done by the company on side `actor`, to a relationship in `state`.
///
/// - Approve and reject: only while requested, and only by the addressee.
/// - Block: from requested, active or rejected, by either side; remembers who and from what.
/// - Unblock: only while blocked, and only by the side that blocked; restores the old status.
///
/// # Errors
/// A 409 `invalid_transition` naming the current status when the action does not fit it; a 403
/// `not_your_decision` when the requester tries to decide its own request; a 403 `not_blocker`
/// when the blocked side tries to unblock; an internal error for a blocked state that does not
/// remember its previous status.
pub fn transition(state: &RelState, action: Action, actor: Side) -> Result<RelState> {
    use RelationshipStatus as S;
    let invalid = || {
        Error::conflict(
            "invalid_transition",
            format!("cannot {action} a relationship that is {}", state.status),
        )
    };
    match (action, state.status) {
        (Action::Approve | Action::Reject, S::Requested) => {
            if actor != Side::Addressee {
                return Err(Error::forbidden(
                    "not_your_decision",
                    "only the company that was asked may approve or reject the request",
                ));
            }
            let status = if action == Action::Approve {
                S::Active
            } else {
                S::Rejected
            };
            Ok(RelState::new(status))
        }
        (Action::Block, S::Requested | S::Active | S::Rejected) => Ok(RelState {
            status: S::Blocked,
            blocked_by: Some(actor),
            status_before_block: Some(state.status),
        }),
        (Action::Unblock, S::Blocked) => {
            if state.blocked_by != Some(actor) {
                return Err(Error::forbidden(
                    "not_blocker",
                    "only the company that blocked the relationship may unblock it",
                ));
            }
            match state.status_before_block {
                Some(previous) if previous != S::Blocked => Ok(RelState::new(previous)),
                _ => Err(Error::internal(
                    "blocked relationship without a status to return to",
                )),
            }
        }
        _ => Err(invalid()),
    }
}

/// Whether a relationship in `status` may be requested anew (only after a rejection; a blocked
/// one must be unblocked by the blocker, a live one needs no second request).
#[must_use]
pub fn can_request_again(status: RelationshipStatus) -> bool {
    status == RelationshipStatus::Rejected
}

/// Decides what a service becomes when the party in `actor` role asks for `wanted` while it is
/// `current`.
///
/// The supplier decides what it offers: enabled or inactive. The customer may ask for a service
/// (requested; already enabled stays enabled) or give it up (inactive), but never enable it.
///
/// # Errors
/// A 422 on field `state` when the supplier sets requested (it enables instead); a 403
/// `supplier_only` when the customer tries to enable.
pub fn change_service(
    current: ServiceState,
    wanted: ServiceState,
    actor: PartyRole,
) -> Result<ServiceState> {
    use ServiceState as St;
    match (actor, wanted) {
        (PartyRole::Supplier, St::Enabled | St::Inactive) => Ok(wanted),
        (PartyRole::Supplier, St::Requested) => Err(Error::invalid(
            "state",
            "a supplier enables or deactivates a service; requesting is for the customer",
        )),
        (PartyRole::Customer, St::Requested) if current == St::Enabled => Ok(St::Enabled),
        (PartyRole::Customer, St::Requested | St::Inactive) => Ok(wanted),
        (PartyRole::Customer, St::Enabled) => Err(Error::forbidden(
            "supplier_only",
            "only the supplier may enable a service; request it instead",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use RelationshipStatus::*;
    use Side::*;

    fn code(err: &Error) -> String {
        err.problem().code
    }

    fn blocked(by: Side, before: RelationshipStatus) -> RelState {
        RelState {
            status: Blocked,
            blocked_by: Some(by),
            status_before_block: Some(before),
        }
    }

    #[test]
    fn names_round_trip_for_every_enum() {
        fn check<
            T: Copy + PartialEq + std::fmt::Debug + Serialize + serde::de::DeserializeOwned,
        >(
            all: &[T],
            as_str: fn(T) -> &'static str,
            parse: fn(&str, &str) -> Result<T>,
        ) {
            for v in all {
                let name = as_str(*v);
                assert_eq!(parse("f", name).unwrap(), *v);
                assert_eq!(serde_json::to_string(v).unwrap(), format!("\"{name}\""));
                assert_eq!(
                    serde_json::from_str::<T>(&format!("\"{name}\"")).unwrap(),
                    *v
                );
            }
            let err = parse("the_field", "nonsense").unwrap_err();
            assert_eq!(err.status(), 422);
            assert_eq!(err.problem().field.as_deref(), Some("the_field"));
        }
        check(
            &RelationshipStatus::ALL,
            RelationshipStatus::as_str,
            RelationshipStatus::parse,
        );
        check(&PartyRole::ALL, PartyRole::as_str, PartyRole::parse);
        check(&Service::ALL, Service::as_str, Service::parse);
        check(
            &ServiceState::ALL,
            ServiceState::as_str,
            ServiceState::parse,
        );
        check(&Action::ALL, Action::as_str, Action::parse);
        check(&Side::ALL, Side::as_str, Side::parse);
        assert_eq!(
            Service::ALL.map(Service::as_str),
            [
                "documents",
                "approvals",
                "talk",
                "cards",
                "appointments",
                "order"
            ]
        );
    }

    #[test]
    fn party_roles_are_opposites() {
        assert_eq!(PartyRole::Customer.opposite(), PartyRole::Supplier);
        assert_eq!(PartyRole::Supplier.opposite(), PartyRole::Customer);
    }

    #[test]
    fn every_allowed_transition() {
        let table = [
            (
                RelState::new(Requested),
                Approve,
                Addressee,
                RelState::new(Active),
            ),
            (
                RelState::new(Requested),
                Reject,
                Addressee,
                RelState::new(Rejected),
            ),
            (
                RelState::new(Requested),
                Block,
                Requester,
                blocked(Requester, Requested),
            ),
            (
                RelState::new(Requested),
                Block,
                Addressee,
                blocked(Addressee, Requested),
            ),
            (
                RelState::new(Active),
                Block,
                Requester,
                blocked(Requester, Active),
            ),
            (
                RelState::new(Active),
                Block,
                Addressee,
                blocked(Addressee, Active),
            ),
            (
                RelState::new(Rejected),
                Block,
                Requester,
                blocked(Requester, Rejected),
            ),
            (
                RelState::new(Rejected),
                Block,
                Addressee,
                blocked(Addressee, Rejected),
            ),
            (
                blocked(Requester, Requested),
                Unblock,
                Requester,
                RelState::new(Requested),
            ),
            (
                blocked(Requester, Active),
                Unblock,
                Requester,
                RelState::new(Active),
            ),
            (
                blocked(Requester, Rejected),
                Unblock,
                Requester,
                RelState::new(Rejected),
            ),
            (
                blocked(Addressee, Requested),
                Unblock,
                Addressee,
                RelState::new(Requested),
            ),
            (
                blocked(Addressee, Active),
                Unblock,
                Addressee,
                RelState::new(Active),
            ),
            (
                blocked(Addressee, Rejected),
                Unblock,
                Addressee,
                RelState::new(Rejected),
            ),
        ];
        for (state, action, actor, expected) in table {
            assert_eq!(
                transition(&state, action, actor).unwrap(),
                expected,
                "{action} by {actor} from {state:?}"
            );
        }
    }

    #[test]
    fn every_refused_transition() {
        // (state, action, actor, status, code)
        let table = [
            (
                RelState::new(Requested),
                Approve,
                Requester,
                403,
                "not_your_decision",
            ),
            (
                RelState::new(Requested),
                Reject,
                Requester,
                403,
                "not_your_decision",
            ),
            (
                RelState::new(Requested),
                Unblock,
                Requester,
                409,
                "invalid_transition",
            ),
            (
                RelState::new(Requested),
                Unblock,
                Addressee,
                409,
                "invalid_transition",
            ),
            (
                RelState::new(Active),
                Approve,
                Requester,
                409,
                "invalid_transition",
            ),
            (
                RelState::new(Active),
                Approve,
                Addressee,
                409,
                "invalid_transition",
            ),
            (
                RelState::new(Active),
                Reject,
                Requester,
                409,
                "invalid_transition",
            ),
            (
                RelState::new(Active),
                Reject,
                Addressee,
                409,
                "invalid_transition",
            ),
            (
                RelState::new(Active),
                Unblock,
                Requester,
                409,
                "invalid_transition",
            ),
            (
                RelState::new(Active),
                Unblock,
                Addressee,
                409,
                "invalid_transition",
            ),
            (
                RelState::new(Rejected),
                Approve,
                Requester,
                409,
                "invalid_transition",
            ),
            (
                RelState::new(Rejected),
                Approve,
                Addressee,
                409,
                "invalid_transition",
            ),
            (
                RelState::new(Rejected),
                Reject,
                Requester,
                409,
                "invalid_transition",
            ),
            (
                RelState::new(Rejected),
                Reject,
                Addressee,
                409,
                "invalid_transition",
            ),
            (
                RelState::new(Rejected),
                Unblock,
                Requester,
                409,
                "invalid_transition",
            ),
            (
                RelState::new(Rejected),
                Unblock,
                Addressee,
                409,
                "invalid_transition",
            ),
            (
                blocked(Requester, Active),
                Approve,
                Requester,
                409,
                "invalid_transition",
            ),
            (
                blocked(Requester, Active),
                Approve,
                Addressee,
                409,
                "invalid_transition",
            ),
            (
                blocked(Requester, Requested),
                Reject,
                Addressee,
                409,
                "invalid_transition",
            ),
            (
                blocked(Requester, Active),
                Reject,
                Requester,
                409,
                "invalid_transition",
            ),
            (
                blocked(Requester, Active),
                Block,
                Requester,
                409,
                "invalid_transition",
            ),
            (
                blocked(Requester, Active),
                Block,
                Addressee,
                409,
                "invalid_transition",
            ),
            (
                blocked(Addressee, Active),
                Block,
                Requester,
                409,
                "invalid_transition",
            ),
            (
                blocked(Requester, Active),
                Unblock,
                Addressee,
                403,
                "not_blocker",
            ),
            (
                blocked(Addressee, Rejected),
                Unblock,
                Requester,
                403,
                "not_blocker",
            ),
        ];
        for (state, action, actor, status, expected_code) in table {
            let err = transition(&state, action, actor).unwrap_err();
            assert_eq!(err.status(), status, "{action} by {actor} from {state:?}");
            assert_eq!(
                code(&err),
                expected_code,
                "{action} by {actor} from {state:?}"
            );
        }
    }

    #[test]
    fn refusals_name_the_current_status() {
        let err = transition(&RelState::new(Active), Approve, Addressee).unwrap_err();
        assert_eq!(
            err.problem().detail,
            "cannot approve a relationship that is active"
        );
        let err = transition(&blocked(Requester, Active), Block, Addressee).unwrap_err();
        assert_eq!(
            err.problem().detail,
            "cannot block a relationship that is blocked"
        );
        let err = transition(&RelState::new(Rejected), Unblock, Addressee).unwrap_err();
        assert_eq!(
            err.problem().detail,
            "cannot unblock a relationship that is rejected"
        );
    }

    #[test]
    fn a_blocked_state_without_history_is_an_internal_error() {
        let corrupt = RelState {
            status: Blocked,
            blocked_by: Some(Requester),
            status_before_block: None,
        };
        assert_eq!(
            transition(&corrupt, Unblock, Requester)
                .unwrap_err()
                .status(),
            500
        );
        let looped = blocked(Requester, Blocked);
        assert_eq!(
            transition(&looped, Unblock, Requester)
                .unwrap_err()
                .status(),
            500
        );
    }

    #[test]
    fn block_and_unblock_round_trip_to_the_previous_status() {
        for before in [Requested, Active, Rejected] {
            for side in Side::ALL {
                let start = RelState::new(before);
                let b = transition(&start, Block, side).unwrap();
                assert_eq!(transition(&b, Unblock, side).unwrap(), start);
            }
        }
    }

    #[test]
    fn only_rejected_relationships_may_be_requested_again() {
        for status in RelationshipStatus::ALL {
            assert_eq!(can_request_again(status), status == Rejected, "{status}");
        }
    }

    #[test]
    fn every_service_change() {
        use PartyRole::*;
        use ServiceState::{Enabled as E, Inactive as I, Requested as R};
        /// The new state, or the refusal's status and code.
        type Outcome = std::result::Result<ServiceState, (u16, &'static str)>;
        // (current, wanted, actor, outcome)
        let table: [(ServiceState, ServiceState, PartyRole, Outcome); 18] = [
            (E, E, Supplier, Ok(E)),
            (R, E, Supplier, Ok(E)),
            (I, E, Supplier, Ok(E)),
            (E, I, Supplier, Ok(I)),
            (R, I, Supplier, Ok(I)),
            (I, I, Supplier, Ok(I)),
            (E, R, Supplier, Err((422, "invalid_field"))),
            (R, R, Supplier, Err((422, "invalid_field"))),
            (I, R, Supplier, Err((422, "invalid_field"))),
            (E, R, Customer, Ok(E)),
            (R, R, Customer, Ok(R)),
            (I, R, Customer, Ok(R)),
            (E, I, Customer, Ok(I)),
            (R, I, Customer, Ok(I)),
            (I, I, Customer, Ok(I)),
            (E, E, Customer, Err((403, "supplier_only"))),
            (R, E, Customer, Err((403, "supplier_only"))),
            (I, E, Customer, Err((403, "supplier_only"))),
        ];
        for (current, wanted, actor, expected) in table {
            let outcome =
                change_service(current, wanted, actor).map_err(|e| (e.status(), e.problem().code));
            let expected = expected.map_err(|(s, c)| (s, c.to_owned()));
            assert_eq!(outcome, expected, "{actor} sets {wanted} while {current}");
        }
        let err = change_service(I, R, Supplier).unwrap_err();
        assert_eq!(err.problem().field.as_deref(), Some("state"));
    }

    #[test]
    fn services_default_request_and_approval() {
        let requested = Services::default_request();
        for service in Service::ALL {
            let expected = if matches!(service, Service::Appointments | Service::Order) {
                ServiceState::Inactive
            } else {
                ServiceState::Requested
            };
            assert_eq!(requested.get(service), expected, "{service}");
        }
        let approved = requested.on_approval();
        for service in Service::ALL {
            let expected = if matches!(service, Service::Appointments | Service::Order) {
                ServiceState::Inactive
            } else {
                ServiceState::Enabled
            };
            assert_eq!(approved.get(service), expected, "{service}");
        }
        let mut mixed = Services::default();
        mixed.set(Service::Talk, ServiceState::Enabled);
        mixed.set(Service::Cards, ServiceState::Requested);
        let approved = mixed.on_approval();
        assert_eq!(approved.talk, ServiceState::Enabled);
        assert_eq!(approved.cards, ServiceState::Enabled);
        assert_eq!(approved.documents, ServiceState::Inactive);
    }

    #[test]
    fn set_touches_only_its_service() {
        for target in Service::ALL {
            let mut s = Services::default();
            s.set(target, ServiceState::Enabled);
            for other in Service::ALL {
                let expected = if other == target {
                    ServiceState::Enabled
                } else {
                    ServiceState::Inactive
                };
                assert_eq!(s.get(other), expected);
            }
        }
    }

    #[test]
    fn services_round_trip_through_storage_and_serde() {
        let mut s = Services::default_request();
        s.set(Service::Talk, ServiceState::Enabled);
        let stored = s.to_json_string();
        assert_eq!(
            stored,
            r#"{"documents":"requested","approvals":"requested","talk":"enabled","cards":"requested","appointments":"inactive","order":"inactive"}"#
        );
        assert_eq!(Services::from_json_str(&stored).unwrap(), s);
        assert_eq!(serde_json::to_string(&s).unwrap(), stored);
        assert_eq!(
            Services::from_json_str(r#"{"talk":"enabled"}"#)
                .unwrap()
                .documents,
            ServiceState::Inactive
        );
        assert_eq!(Services::from_json_str("{").unwrap_err().status(), 500);
        assert_eq!(
            Services::from_json_str(r#"{"talk":"on"}"#)
                .unwrap_err()
                .status(),
            500
        );
        assert!(serde_json::from_str::<Services>(r#"{"chat":"enabled"}"#).is_err());
    }
}
