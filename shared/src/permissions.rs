//! Who may do what inside a company: roles, permissions, the authenticated [`Principal`] every
//! handler receives, and the rule for handing permissions on to others.
//!
//! Admins hold every permission implicitly. Members hold exactly the permissions listed for
//! them. API keys act for a company, not a person, so person-only actions ask for a user.

use serde::{Deserialize, Serialize};

use crate::ids::{ApiKeyId, CompanyId, SessionId, UserId};
use crate::{Error, Result};

/// One thing a member or an API key may be allowed to do.
///
/// The derived order is the canonical order of lists (storage, tokens, responses).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
pub enum Permission {
    /// Put documents into a partner's mailbox.
    #[serde(rename = "documents.send")]
    DocumentsSend,
    /// Read and acknowledge documents partners sent.
    #[serde(rename = "documents.receive")]
    DocumentsReceive,
    /// Approve or reject proofs.
    #[serde(rename = "approvals.decide")]
    ApprovalsDecide,
    /// Write in talk threads with partners.
    #[serde(rename = "talk")]
    Talk,
    /// Request, approve, block relationships and change their services.
    #[serde(rename = "relationships.manage")]
    RelationshipsManage,
    /// Invite colleagues and change their permissions.
    #[serde(rename = "users.manage")]
    UsersManage,
    /// Register and change webhook endpoints.
    #[serde(rename = "webhooks.manage")]
    WebhooksManage,
    /// Plan projects, locations and appointments for customers, and confirm or reject
    /// proposals; on the customer side, see every project.
    #[serde(rename = "appointments.manage")]
    AppointmentsManage,
    /// File complaints (RMA) about a supplier's deliveries and follow them; on the supplier
    /// side, handle the complaints customers file.
    #[serde(rename = "complaints")]
    Complaints,
    /// Keep the company's catalogs, products, customer prices and ordering terms; on the
    /// customer side, shop the catalogs suppliers enabled and place orders from them.
    #[serde(rename = "catalog")]
    Catalog,
}

/// Every permission, in canonical order.
pub const ALL: [Permission; 10] = [
    Permission::DocumentsSend,
    Permission::DocumentsReceive,
    Permission::ApprovalsDecide,
    Permission::Talk,
    Permission::RelationshipsManage,
    Permission::UsersManage,
    Permission::WebhooksManage,
    Permission::AppointmentsManage,
    Permission::Complaints,
    Permission::Catalog,
];

impl Permission {
    /// The name used in JSON, tokens and storage, e.g. `documents.send`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DocumentsSend => "documents.send",
            Self::DocumentsReceive => "documents.receive",
            Self::ApprovalsDecide => "approvals.decide",
            Self::Talk => "talk",
            Self::RelationshipsManage => "relationships.manage",
            Self::UsersManage => "users.manage",
            Self::WebhooksManage => "webhooks.manage",
            Self::AppointmentsManage => "appointments.manage",
            Self::Complaints => "complaints",
            Self::Catalog => "catalog",
        }
    }

    /// Parses a permission name given in a request field.
    ///
    /// # Errors
    /// A 422 naming `field` when the name is not a permission.
    pub fn parse(field: &str, text: &str) -> Result<Permission> {
        Self::from_name(text).ok_or_else(|| {
            Error::invalid(
                field,
                format!("unknown permission {text:?}; expected one of {}", names()),
            )
        })
    }

    fn from_name(text: &str) -> Option<Permission> {
        ALL.into_iter().find(|p| p.as_str() == text)
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn names() -> String {
    ALL.map(Permission::as_str).join(", ")
}

/// Parses a list of permission names from a request, deduplicated and in canonical order.
///
/// # Errors
/// A 422 naming the offending element, e.g. `permissions[2]`.
pub fn parse_list(field: &str, items: &[String]) -> Result<Vec<Permission>> {
    let mut out = items
        .iter()
        .enumerate()
        .map(|(i, item)| Permission::parse(&format!("{field}[{i}]"), item))
        .collect::<Result<Vec<_>>>()?;
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// The storage form of a permission list: names joined by commas.
#[must_use]
pub fn to_storage(permissions: &[Permission]) -> String {
    permissions
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads the storage form back, deduplicated and in canonical order. Unknown names are skipped,
/// so a permission retired in a later release does not make old rows unreadable.
#[must_use]
pub fn from_storage(text: &str) -> Vec<Permission> {
    let mut out: Vec<Permission> = text
        .split(',')
        .filter_map(|name| Permission::from_name(name.trim()))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// A permission list as a text column stores it (see [`to_storage`]); reads back with
/// [`from_storage`], so retired names are skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stored(pub Vec<Permission>);

impl<'de> Deserialize<'de> for Stored {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Stored, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        Ok(Stored(from_storage(&text)))
    }
}

impl crate::platform::Bind for Stored {
    fn value(&self) -> crate::platform::Value {
        crate::platform::Value::Text(to_storage(&self.0))
    }
}

/// What a new member gets unless the inviter chooses otherwise: the everyday work, none of the
/// administration.
#[must_use]
pub fn default_member_permissions() -> Vec<Permission> {
    vec![
        Permission::DocumentsSend,
        Permission::DocumentsReceive,
        Permission::ApprovalsDecide,
        Permission::Talk,
    ]
}

/// A user's (or API key's) role in their company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Holds every permission, and alone may make others admins.
    Admin,
    /// Holds the permissions listed for them.
    Member,
}

impl Role {
    /// `admin` or `member`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }

    /// Parses a role given in a request field.
    ///
    /// # Errors
    /// A 422 naming `field` when the text is neither `admin` nor `member`.
    pub fn parse(field: &str, text: &str) -> Result<Role> {
        match text {
            "admin" => Ok(Self::Admin),
            "member" => Ok(Self::Member),
            _ => Err(Error::invalid(field, "must be admin or member")),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a request is made by a person or by a company's API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A person, authenticated by an access token.
    User,
    /// A machine, authenticated by an API key.
    ApiKey,
}

/// The authenticated caller of a request, scoped to one company.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Person or API key.
    pub kind: PrincipalKind,
    /// Set for [`PrincipalKind::User`].
    pub user_id: Option<UserId>,
    /// Set for [`PrincipalKind::ApiKey`].
    pub api_key_id: Option<ApiKeyId>,
    /// The tenant every query of the request is confined to.
    pub company_id: CompanyId,
    /// Admins hold every permission.
    pub role: Role,
    /// The permissions of a member; ignored for admins.
    pub permissions: Vec<Permission>,
    /// The login session of a person (lets the registry see logout and disabling at once).
    pub session_id: Option<SessionId>,
}

impl Principal {
    /// Whether the caller holds `p` (admins hold all).
    #[must_use]
    pub fn has(&self, p: Permission) -> bool {
        self.role == Role::Admin || self.permissions.contains(&p)
    }

    /// Demands a permission.
    ///
    /// # Errors
    /// A 403 `permission_missing` naming the permission.
    pub fn require(&self, p: Permission) -> Result<()> {
        if self.has(p) {
            Ok(())
        } else {
            Err(Error::forbidden(
                "permission_missing",
                format!("this action needs the permission {p}"),
            ))
        }
    }

    /// Demands the admin role.
    ///
    /// # Errors
    /// A 403 `admin_required` for members.
    pub fn require_admin(&self) -> Result<()> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(Error::forbidden(
                "admin_required",
                "only an admin of the company may do this",
            ))
        }
    }

    /// Demands a person, for actions that only make sense for one (their card, their profile).
    ///
    /// # Errors
    /// A 403 `user_required` for API keys; an internal error for a user principal without a
    /// user id, which the edge never builds.
    pub fn require_user(&self) -> Result<&UserId> {
        match (self.kind, &self.user_id) {
            (PrincipalKind::User, Some(id)) => Ok(id),
            (PrincipalKind::User, None) => Err(Error::internal("user principal without a user id")),
            (PrincipalKind::ApiKey, _) => Err(Error::forbidden(
                "user_required",
                "this action is for people signed in, not for API keys",
            )),
        }
    }
}

/// Checks that `grantor` may give someone `role` with `permissions` (inviting a colleague,
/// changing a colleague, creating an API key).
///
/// Admins may grant anything. Anyone else needs `users.manage`, may not hand out the admin role,
/// and may only pass on permissions they hold themselves, so nobody can widen their own reach by
/// way of a second account.
///
/// # Errors
/// A 403: `permission_missing` without `users.manage`, `admin_required` for granting the admin
/// role, `grant_exceeds_own` naming the first permission the grantor lacks.
pub fn check_grant(grantor: &Principal, role: Role, permissions: &[Permission]) -> Result<()> {
    if grantor.role == Role::Admin {
        return Ok(());
    }
    grantor.require(Permission::UsersManage)?;
    if role == Role::Admin {
        return Err(Error::forbidden(
            "admin_required",
            "only an admin may grant the admin role",
        ));
    }
    match permissions.iter().find(|p| !grantor.has(**p)) {
        Some(p) => Err(Error::forbidden(
            "grant_exceeds_own",
            format!("you cannot grant {p} because you do not hold it yourself"),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(err: &Error) -> String {
        err.problem().code
    }

    fn principal(kind: PrincipalKind, role: Role, permissions: &[Permission]) -> Principal {
        let now = crate::time::now();
        Principal {
            kind,
            user_id: (kind == PrincipalKind::User).then(|| UserId::new(now).unwrap()),
            api_key_id: (kind == PrincipalKind::ApiKey).then(|| ApiKeyId::new(now).unwrap()),
            company_id: CompanyId::new(now).unwrap(),
            role,
            permissions: permissions.to_vec(),
            session_id: None,
        }
    }

    #[test]
    fn names_round_trip_through_parse_serde_and_storage() {
        let expected = [
            "documents.send",
            "documents.receive",
            "approvals.decide",
            "talk",
            "relationships.manage",
            "users.manage",
            "webhooks.manage",
            "appointments.manage",
            "complaints",
            "catalog",
        ];
        assert_eq!(ALL.len(), expected.len());
        for (p, name) in ALL.into_iter().zip(expected) {
            assert_eq!(p.as_str(), name);
            assert_eq!(Permission::parse("p", name).unwrap(), p);
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{name}\""));
            assert_eq!(
                serde_json::from_str::<Permission>(&format!("\"{name}\"")).unwrap(),
                p
            );
        }
        assert_eq!(from_storage(&to_storage(&ALL)), ALL.to_vec());
        assert_eq!(to_storage(&[]), "");
        assert_eq!(from_storage(""), Vec::<Permission>::new());
    }

    #[test]
    fn unknown_names_are_refused_naming_the_element() {
        let err = Permission::parse("permission", "documents.delete").unwrap_err();
        assert_eq!(err.status(), 422);
        assert_eq!(err.problem().field.as_deref(), Some("permission"));

        let items: Vec<String> = ["talk", "documents.send", "Talk"]
            .map(String::from)
            .to_vec();
        let err = parse_list("permissions", &items).unwrap_err();
        assert_eq!(err.status(), 422);
        assert_eq!(err.problem().field.as_deref(), Some("permissions[2]"));
    }

    #[test]
    fn lists_are_deduplicated_and_canonically_ordered() {
        let items: Vec<String> = ["webhooks.manage", "talk", "documents.send", "talk"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            parse_list("permissions", &items).unwrap(),
            vec![
                Permission::DocumentsSend,
                Permission::Talk,
                Permission::WebhooksManage
            ]
        );
        assert_eq!(parse_list("permissions", &[]).unwrap(), vec![]);
    }

    #[test]
    fn storage_skips_unknown_names_and_blanks() {
        assert_eq!(
            from_storage("talk, retired.permission,,documents.send,talk"),
            vec![Permission::DocumentsSend, Permission::Talk]
        );
        assert_eq!(
            to_storage(&[Permission::Talk, Permission::UsersManage]),
            "talk,users.manage"
        );
    }

    #[test]
    fn roles_and_kinds_have_stable_names() {
        for role in [Role::Admin, Role::Member] {
            assert_eq!(Role::parse("role", role.as_str()).unwrap(), role);
            assert_eq!(
                serde_json::to_string(&role).unwrap(),
                format!("\"{}\"", role.as_str())
            );
        }
        assert_eq!(Role::parse("role", "owner").unwrap_err().status(), 422);
        assert_eq!(
            serde_json::to_string(&PrincipalKind::ApiKey).unwrap(),
            "\"api_key\""
        );
    }

    #[test]
    fn default_members_do_the_work_but_not_the_administration() {
        let defaults = default_member_permissions();
        assert_eq!(
            defaults,
            vec![
                Permission::DocumentsSend,
                Permission::DocumentsReceive,
                Permission::ApprovalsDecide,
                Permission::Talk
            ]
        );
        for admin_only in [
            Permission::RelationshipsManage,
            Permission::UsersManage,
            Permission::WebhooksManage,
            Permission::AppointmentsManage,
        ] {
            assert!(!defaults.contains(&admin_only));
        }
    }

    #[test]
    fn admins_hold_every_permission_members_only_theirs() {
        let admin = principal(PrincipalKind::User, Role::Admin, &[]);
        let member = principal(PrincipalKind::User, Role::Member, &[Permission::Talk]);
        for p in ALL {
            assert!(admin.has(p));
            assert!(admin.require(p).is_ok());
            assert_eq!(member.has(p), p == Permission::Talk, "{p}");
        }
        let err = member.require(Permission::DocumentsSend).unwrap_err();
        assert_eq!(err.status(), 403);
        assert_eq!(code(&err), "permission_missing");
        assert!(err.problem().detail.contains("documents.send"));
    }

    #[test]
    fn require_admin_refuses_members() {
        let admin = principal(PrincipalKind::User, Role::Admin, &[]);
        let member = principal(PrincipalKind::User, Role::Member, &ALL);
        assert!(admin.require_admin().is_ok());
        let err = member.require_admin().unwrap_err();
        assert_eq!((err.status(), code(&err).as_str()), (403, "admin_required"));
    }

    #[test]
    fn person_only_actions_refuse_api_keys() {
        let user = principal(PrincipalKind::User, Role::Member, &[]);
        assert_eq!(user.require_user().unwrap(), user.user_id.as_ref().unwrap());
        let key = principal(PrincipalKind::ApiKey, Role::Admin, &[]);
        let err = key.require_user().unwrap_err();
        assert_eq!((err.status(), code(&err).as_str()), (403, "user_required"));
        let broken = Principal {
            user_id: None,
            ..user
        };
        assert_eq!(broken.require_user().unwrap_err().status(), 500);
    }

    #[test]
    fn grants_follow_the_grantors_own_reach() {
        use Permission::*;
        let admin = principal(PrincipalKind::User, Role::Admin, &[]);
        let manager = principal(
            PrincipalKind::User,
            Role::Member,
            &[UsersManage, Talk, DocumentsSend],
        );
        let worker = principal(PrincipalKind::User, Role::Member, &[Talk, DocumentsSend]);
        let key = principal(PrincipalKind::ApiKey, Role::Member, &[UsersManage, Talk]);

        // (grantor, role, permissions, expected outcome: None = allowed, Some(code) = 403 code)
        let table: [(&Principal, Role, Vec<Permission>, Option<&str>); 11] = [
            (&admin, Role::Admin, vec![], None),
            (&admin, Role::Member, ALL.to_vec(), None),
            (&manager, Role::Member, vec![], None),
            (&manager, Role::Member, vec![Talk, DocumentsSend], None),
            (&manager, Role::Member, vec![UsersManage], None),
            (
                &manager,
                Role::Member,
                vec![Talk, WebhooksManage],
                Some("grant_exceeds_own"),
            ),
            (
                &manager,
                Role::Member,
                vec![DocumentsReceive],
                Some("grant_exceeds_own"),
            ),
            (&manager, Role::Admin, vec![], Some("admin_required")),
            (
                &worker,
                Role::Member,
                vec![Talk],
                Some("permission_missing"),
            ),
            (&key, Role::Member, vec![Talk], None),
            (
                &key,
                Role::Member,
                vec![DocumentsSend],
                Some("grant_exceeds_own"),
            ),
        ];
        for (grantor, role, perms, expected) in table {
            let outcome = check_grant(grantor, role, &perms);
            match expected {
                None => assert!(outcome.is_ok(), "{role:?} {perms:?}: {outcome:?}"),
                Some(expected) => {
                    let err = outcome.unwrap_err();
                    assert_eq!(err.status(), 403, "{role:?} {perms:?}");
                    assert_eq!(code(&err), expected, "{role:?} {perms:?}");
                }
            }
        }
        let err = check_grant(&manager, Role::Member, &[WebhooksManage]).unwrap_err();
        assert!(err.problem().detail.contains("webhooks.manage"));
    }
}
