//! The complaints (RMA) groundwork over the real migrations: `shared::data::complaints` and
//! `shared::complaint`, before a worker serves them. A customer files two complaints about an
//! order it sent; they get the supplier's next numbers; the supplier reviews and accepts one with
//! a resolution, a late second move changes nothing, the customer withdraws the other; a third
//! company finds neither.

// A story that cannot be told ends the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use shared::complaint::{self, ComplaintStatus, Move, Reason, Resolution};
use shared::data::complaints::{self as data, Filter, MoveTo, NewComplaint, NewLine};
use shared::ids::{CompanyId, ComplaintId, DocumentId, RelationshipId};
use shared::platform::Db;
use shared::relationship::PartyRole;
use shared::time::Time;
use tradepost_stories::{delivered, pair, sign_up, stack};
use tradepost_testkit::{block_on, Stack};

fn id<T: TryFrom<String>>(text: &str) -> T {
    T::try_from(text.to_owned()).unwrap_or_else(|_| panic!("not an id: {text}"))
}

fn now(s: &Stack) -> Time {
    Time(shared::platform::Clock::now(s.clock.as_ref()))
}

fn file(db: &Db, c: &NewComplaint<'_>) -> data::Complaint {
    block_on(data::insert(db, c, Vec::new())).unwrap_or_else(|e| panic!("filing failed: {e}"))
}

/// The supplier's next number, as the worker reads it before filing.
fn next_seq(db: &Db, customer: &CompanyId, supplier: &CompanyId) -> u64 {
    block_on(data::before(db, customer, None, supplier, supplier))
        .unwrap()
        .next_seq
}

#[test]
fn complaints_are_numbered_per_supplier_moved_once_and_seen_by_both_sides_only() {
    let s = stack();
    let p = pair(&s);
    let stranger = sign_up(&s, "someone-else");
    let doc: DocumentId = id(&delivered(&s, &p));
    let (supplier, customer): (CompanyId, CompanyId) = (id(&p.supplier.id), id(&p.customer.id));
    let relationship: RelationshipId = id(&p.relationship);
    let db = s.platform().db;
    let at = now(&s);
    let lines = [
        NewLine {
            item: "4711 Catalogue spring 2027",
            quantity: &complaint::quantity("lines[0].quantity", " 20 ").unwrap_or_default(),
            unit: Some("pcs"),
            note: Some("corners crushed"),
        },
        NewLine {
            item: "4712 Poster A1",
            quantity: "2.5",
            unit: None,
            note: None,
        },
    ];
    let first_id = ComplaintId::new(at.0).unwrap();
    let second_id = ComplaintId::new(at.0).unwrap();
    let damaged = NewComplaint {
        id: &first_id,
        relationship_id: &relationship,
        supplier_id: &supplier,
        customer_id: &customer,
        document_id: &doc,
        order_id: "ord-1",
        reason: Reason::Damaged,
        description: "Two boxes arrived damaged.",
        lines: &lines,
        by_user: None,
        by_api_key: None,
        seq: next_seq(&db, &customer, &supplier),
        year: 2027,
        now: at,
    };
    let first = file(&db, &damaged);
    let second = file(
        &db,
        &NewComplaint {
            id: &second_id,
            reason: Reason::Missing,
            seq: next_seq(&db, &customer, &supplier),
            ..damaged
        },
    );
    // The same number again (a complaint filed meanwhile took it) fails on its constraint.
    let third_id = ComplaintId::new(at.0).unwrap();
    let e = block_on(data::insert(
        &db,
        &NewComplaint {
            id: &third_id,
            seq: 2,
            ..damaged
        },
        Vec::new(),
    ))
    .map(|_| ())
    .expect_err("a number is taken once");
    assert_eq!(e.unique_violation(), Some(data::SEQ_TAKEN));
    assert_eq!(first.row.number, "RMA-2027-00001");
    assert_eq!(second.row.number, "RMA-2027-00002");
    assert_eq!(first.row.status, ComplaintStatus::Received);
    assert_eq!(first.row.document_filename, "PO-1.xml");
    assert_eq!(first.lines.len(), 2);
    assert_eq!(first.lines[0].quantity, "20");
    assert_eq!(first.history.len(), 1, "the status bar starts at received");

    // The supplier reviews and accepts the first; a second accept finds it moved already.
    let to = complaint::transition(first.row.status, Move::Review, PartyRole::Supplier).unwrap();
    let plain = |from, to| MoveTo {
        from,
        to,
        resolution: None,
        note: None,
        user: None,
    };
    let (moved, _) = block_on(data::move_to(
        &db,
        &supplier,
        &first_id,
        &plain(ComplaintStatus::Received, to),
        Vec::new(),
        at,
    ))
    .unwrap();
    assert!(moved);
    let accept = |from| {
        block_on(data::move_to(
            &db,
            &supplier,
            &first_id,
            &MoveTo {
                resolution: Some(Resolution::Replacement),
                note: Some("New boxes go out on Monday."),
                ..plain(from, ComplaintStatus::Accepted)
            },
            Vec::new(),
            at,
        ))
        .unwrap()
    };
    let (moved, after) = accept(ComplaintStatus::UnderReview);
    let after = after.expect("the supplier sees it");
    assert!(moved);
    assert_eq!(after.row.status, ComplaintStatus::Accepted);
    assert_eq!(after.row.resolution, Some(Resolution::Replacement));
    assert_eq!(after.history.len(), 3);
    let (moved, again) = accept(ComplaintStatus::UnderReview);
    assert!(!moved, "a move from a status it left changes nothing");
    assert_eq!(
        again.map(|c| c.history.len()),
        Some(3),
        "and writes no history"
    );

    // The customer withdraws the second.
    let to = complaint::transition(second.row.status, Move::Withdraw, PartyRole::Customer).unwrap();
    let (moved, closed) = block_on(data::move_to(
        &db,
        &customer,
        &second_id,
        &MoveTo {
            note: Some("Found them."),
            ..plain(ComplaintStatus::Received, to)
        },
        Vec::new(),
        at,
    ))
    .unwrap();
    assert!(moved);
    assert!(closed.is_some_and(|c| c.row.closed_at.is_some()));

    // Both sides list both; a third company finds and moves neither.
    let list = |viewer: &CompanyId, filter: &Filter| {
        block_on(data::complaints(&db, viewer, filter, None, 50)).unwrap()
    };
    assert_eq!(list(&supplier, &Filter::default()).len(), 2);
    let received = Filter {
        as_supplier: Some(true),
        ..Filter::default()
    };
    assert_eq!(
        list(&customer, &received).len(),
        0,
        "the customer received none"
    );
    let open = Filter {
        status: Some(ComplaintStatus::Accepted),
        ..Filter::default()
    };
    assert_eq!(list(&customer, &open).len(), 1);
    let outsider: CompanyId = id(&stranger.id);
    assert!(list(&outsider, &Filter::default()).is_empty());
    assert!(block_on(data::complaint(&db, &outsider, &first_id))
        .unwrap()
        .is_none());
    let (moved, seen) = block_on(data::move_to(
        &db,
        &outsider,
        &first_id,
        &plain(ComplaintStatus::Accepted, ComplaintStatus::Closed),
        Vec::new(),
        at,
    ))
    .unwrap();
    assert!(!moved && seen.is_none());
    assert_eq!(
        s.count(
            "SELECT COUNT(*) FROM complaints WHERE status = 'accepted'",
            &[]
        ),
        1,
        "the outsider changed nothing"
    );
}
