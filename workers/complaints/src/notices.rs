//! The complaint mails, in English, German and Polish, to the other side of a complaint: a
//! complaint filed (to the supplier, `complaint_filed`), moved on its status bar
//! (`complaint_status_changed`), commented (`complaint_commented`). Written in the same batch as
//! the change, only to the other side's people who hold `complaints` and want the kind
//! (`notification_settings`; the mailer's one-click unsubscribe switches it off:
//! `shared::notice::TEMPLATE_EVENTS`).

use shared::complaint::{ComplaintStatus, Resolution};
use shared::data::mails::{self, ToPeople};
use shared::data::notices::Recipient;
use shared::data::Statement;
use shared::event;
use shared::ids::CompanyId;
use shared::lang::Language;
use shared::mail::quote_block;
use shared::time::Time;
use shared::Result;

/// What happened to the complaint.
#[derive(Debug, Clone, Copy)]
pub enum What<'a> {
    /// The customer filed it.
    Filed,
    /// A side moved it to `status` (an acceptance with its resolution).
    Moved(ComplaintStatus, Option<Resolution>),
    /// A side commented.
    Commented(&'a str),
}

/// What a complaint mail says.
pub struct ComplaintMail<'a> {
    pub what: What<'a>,
    /// `RMA-2027-00042`.
    pub number: &'a str,
    /// The company that acted (the partner of the recipient).
    pub partner: &'a str,
    /// The person who acted (`None`: through the API).
    pub by: Option<&'a str>,
    /// The description of a new complaint, the note of a move.
    pub text: Option<&'a str>,
    pub link: &'a str,
}

impl ComplaintMail<'_> {
    fn template(&self) -> &'static str {
        match self.what {
            What::Filed => "complaint_filed",
            What::Moved(..) => "complaint_status_changed",
            What::Commented(_) => "complaint_commented",
        }
    }

    fn event_type(&self) -> &'static str {
        match self.what {
            What::Filed => event::COMPLAINT_FILED,
            What::Moved(..) => event::COMPLAINT_STATUS_CHANGED,
            What::Commented(_) => event::COMPLAINT_COMMENTED,
        }
    }
}

/// The mails of `mail` to `recipients` who want the kind, each written only when the statement
/// before it in the batch changed a row. `company`: the side that acted.
///
/// # Errors
/// Fails only if the platform has no randomness (for the ids).
pub fn mail_stmts(
    mail: &ComplaintMail<'_>,
    recipients: &[Recipient],
    company: &CompanyId,
    now: Time,
) -> Result<Vec<Statement>> {
    mails::to_people_stmts(
        &ToPeople {
            event_type: mail.event_type(),
            template: mail.template(),
            from_name: Some(mail.partner),
            company,
            if_changed: true,
            now,
        },
        recipients,
        |lang| render(mail, lang),
    )
}

/// The words of one language.
struct Words {
    hello: &'static str,
    filed: &'static str,
    moved: &'static str,
    commented: &'static str,
    subject_filed: &'static str,
    subject_moved: &'static str,
    subject_commented: &'static str,
    someone: &'static str,
    resolution: &'static str,
    open: &'static str,
    sign_off: &'static str,
    settings: &'static str,
    status: fn(ComplaintStatus) -> &'static str,
    resolved_by: fn(Resolution) -> &'static str,
}

const EN: Words = Words {
    hello: "Hello,",
    filed: "{by} of {partner} has filed the complaint {number} on Tradepost.",
    moved: "{by} of {partner} has moved the complaint {number} on Tradepost: it is now {status}.",
    commented: "{by} of {partner} has commented on the complaint {number} on Tradepost:",
    subject_filed: "New complaint {number} from {partner}",
    subject_moved: "Complaint {number}: {status}",
    subject_commented: "Complaint {number}: a comment from {partner}",
    someone: "Someone",
    resolution: "Resolution",
    open: "Open it here:",
    sign_off: "Best regards,\nThe Tradepost team",
    settings: "You receive this mail because of your notification settings on Tradepost; you can \
               change them in the portal.",
    status: |s| match s {
        ComplaintStatus::Received => "received",
        ComplaintStatus::UnderReview => "under review",
        ComplaintStatus::Accepted => "accepted",
        ComplaintStatus::Rejected => "rejected",
        ComplaintStatus::Closed => "closed",
    },
    resolved_by: |r| match r {
        Resolution::Replacement => "replacement",
        Resolution::CreditNote => "credit note",
        Resolution::Repair => "repair",
        Resolution::Return => "return of the goods",
    },
};

const DE: Words = Words {
    hello: "Hallo,",
    filed: "{by} von {partner} hat auf Tradepost die Reklamation {number} eingereicht.",
    moved: "{by} von {partner} hat die Reklamation {number} auf Tradepost weitergeführt: sie \
            ist jetzt {status}.",
    commented: "{by} von {partner} hat die Reklamation {number} auf Tradepost kommentiert:",
    subject_filed: "Neue Reklamation {number} von {partner}",
    subject_moved: "Reklamation {number}: {status}",
    subject_commented: "Reklamation {number}: ein Kommentar von {partner}",
    someone: "Jemand",
    resolution: "Lösung",
    open: "Hier finden Sie sie:",
    sign_off: "Viele Grüße\nIhr Tradepost-Team",
    settings: "Sie erhalten diese E-Mail aufgrund Ihrer Benachrichtigungseinstellungen bei \
               Tradepost; Sie können sie im Portal ändern.",
    status: |s| match s {
        ComplaintStatus::Received => "eingegangen",
        ComplaintStatus::UnderReview => "in Prüfung",
        ComplaintStatus::Accepted => "anerkannt",
        ComplaintStatus::Rejected => "abgelehnt",
        ComplaintStatus::Closed => "abgeschlossen",
    },
    resolved_by: |r| match r {
        Resolution::Replacement => "Ersatzlieferung",
        Resolution::CreditNote => "Gutschrift",
        Resolution::Repair => "Reparatur",
        Resolution::Return => "Rücksendung der Ware",
    },
};

const PL: Words = Words {
    hello: "Dzień dobry,",
    filed: "{by} z firmy {partner} składa w Tradepost reklamację {number}.",
    moved: "{by} z firmy {partner} zmienia status reklamacji {number} w Tradepost: \
            obecnie {status}.",
    commented: "{by} z firmy {partner} komentuje reklamację {number} w Tradepost:",
    subject_filed: "Nowa reklamacja {number} od {partner}",
    subject_moved: "Reklamacja {number}: {status}",
    subject_commented: "Reklamacja {number}: komentarz od {partner}",
    someone: "Ktoś",
    resolution: "Rozwiązanie",
    open: "Reklamacja jest tutaj:",
    sign_off: "Pozdrawiamy\nZespół Tradepost",
    settings: "Otrzymują Państwo tę wiadomość zgodnie z ustawieniami powiadomień w Tradepost; \
               można je zmienić w portalu.",
    status: |s| match s {
        ComplaintStatus::Received => "przyjęta",
        ComplaintStatus::UnderReview => "w trakcie rozpatrywania",
        ComplaintStatus::Accepted => "uznana",
        ComplaintStatus::Rejected => "odrzucona",
        ComplaintStatus::Closed => "zamknięta",
    },
    resolved_by: |r| match r {
        Resolution::Replacement => "wymiana towaru",
        Resolution::CreditNote => "korekta (nota uznaniowa)",
        Resolution::Repair => "naprawa",
        Resolution::Return => "zwrot towaru",
    },
};

/// The subject and text of `mail` in `lang`.
#[must_use]
pub fn render(mail: &ComplaintMail<'_>, lang: Language) -> (String, String) {
    let w = match lang {
        Language::En => &EN,
        Language::De => &DE,
        Language::Pl => &PL,
    };
    let status = match mail.what {
        What::Moved(status, _) => (w.status)(status),
        What::Filed | What::Commented(_) => "",
    };
    let fill = |template: &str| {
        template
            .replace("{by}", mail.by.unwrap_or(w.someone))
            .replace("{partner}", mail.partner)
            .replace("{number}", mail.number)
            .replace("{status}", status)
    };
    let (subject, lead) = match mail.what {
        What::Filed => (w.subject_filed, w.filed),
        What::Moved(..) => (w.subject_moved, w.moved),
        What::Commented(_) => (w.subject_commented, w.commented),
    };
    let mut body = format!("{}\n\n{}\n", w.hello, fill(lead));
    if let What::Moved(_, Some(resolution)) = mail.what {
        body.push_str(&format!(
            "\n{}: {}\n",
            w.resolution,
            (w.resolved_by)(resolution)
        ));
    }
    let quoted = match mail.what {
        What::Commented(text) => Some(text),
        What::Filed | What::Moved(..) => mail.text,
    };
    if let Some(text) = quoted {
        body.push_str(&quote_block(text));
    }
    body.push_str(&format!(
        "\n{}\n\n{}\n\n{}\n\n{}\n",
        w.open, mail.link, w.sign_off, w.settings
    ));
    (fill(subject), body)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn mail(what: What<'_>) -> ComplaintMail<'_> {
        ComplaintMail {
            what,
            number: "RMA-2027-00001",
            partner: "Buchhandlung Nord",
            by: Some("Berta Buch"),
            text: Some("Two boxes\narrived damaged."),
            link: "https://tradepost.example.com/complaints/cmp_1",
        }
    }

    #[test]
    fn every_mail_reads_in_three_languages() {
        let (subject, text) = render(&mail(What::Filed), Language::De);
        assert_eq!(
            subject,
            "Neue Reklamation RMA-2027-00001 von Buchhandlung Nord"
        );
        assert!(text.contains("Berta Buch von Buchhandlung Nord hat auf Tradepost"));
        assert!(text.contains("> Two boxes\n> arrived damaged.\n"));
        assert!(text.contains("https://tradepost.example.com/complaints/cmp_1"));
        let accepted = What::Moved(ComplaintStatus::Accepted, Some(Resolution::CreditNote));
        let (subject, text) = render(&mail(accepted), Language::En);
        assert_eq!(subject, "Complaint RMA-2027-00001: accepted");
        assert!(text.contains("Resolution: credit note"));
        let (subject, text) = render(&mail(What::Commented("Photos follow.")), Language::Pl);
        assert_eq!(
            subject,
            "Reklamacja RMA-2027-00001: komentarz od Buchhandlung Nord"
        );
        assert!(text.contains("> Photos follow.\n"));
        assert!(!text.contains("Two boxes"));
        for lang in [Language::En, Language::De, Language::Pl] {
            for what in [What::Filed, accepted, What::Commented("x")] {
                let (subject, text) = render(&mail(what), lang);
                assert!(!subject.contains('{') && !text.contains('{'), "{subject}");
            }
        }
    }
}
