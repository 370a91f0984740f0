//! The task mails, in English, German and Polish: a task given to a person or a team
//! (`task_assigned`), and a task whose due date came (`task_due`). Written in the same batch as
//! what caused them, to the assignee (or, with nobody named, the team's members), never to the
//! person who caused them, and only to who wants mails of the kind (`notification_settings`;
//! the mailer's one-click unsubscribe switches the kind off: `shared::notice::TEMPLATE_EVENTS`).

use shared::data::mails::{self, NewMail};
use shared::data::tasks::Recipient;
use shared::data::Statement;
use shared::event;
use shared::ids::{CompanyId, UserId};
use shared::lang::Language;
use shared::mail::one_line;
use shared::time::Time;
use shared::Result;

/// What a task mail says.
pub struct TaskMail<'a> {
    pub due: bool,
    pub title: &'a str,
    /// The team it is for, when the mail goes to the team's members.
    pub team: Option<&'a str>,
    /// Who gave the task (a person's name; `None`: through the API).
    pub by: Option<&'a str>,
    pub due_on: Option<&'a str>,
    /// What it is about, by name.
    pub about: Option<&'a str>,
    pub link: &'a str,
}

impl TaskMail<'_> {
    fn template(&self) -> &'static str {
        if self.due {
            "task_due"
        } else {
            "task_assigned"
        }
    }

    fn event_type(&self) -> &'static str {
        if self.due {
            event::TASK_DUE
        } else {
            event::TASK_ASSIGNED
        }
    }
}

/// The mails of `mail` to `recipients` (without `actor`, and without who does not want the
/// kind), each written only when the statement before it in the batch changed a row.
///
/// # Errors
/// Fails only if the platform has no randomness (for the ids).
pub fn mail_stmts(
    mail: &TaskMail<'_>,
    recipients: &[Recipient],
    actor: Option<&UserId>,
    company: &CompanyId,
    now: Time,
) -> Result<Vec<Statement>> {
    recipients
        .iter()
        .filter(|r| Some(&r.id) != actor && r.wants(mail.event_type()))
        .map(|r| {
            let (subject, text) = render(mail, r.language);
            mails::insert_stmt(
                &NewMail {
                    to: &r.email,
                    language: r.language,
                    template: mail.template(),
                    subject: &one_line(&subject),
                    text: &text,
                    from_name: None,
                    company: Some(company),
                    now,
                },
                true,
            )
        })
        .collect()
}

/// The subject and text of `mail` in `lang`.
#[must_use]
pub fn render(mail: &TaskMail<'_>, lang: Language) -> (String, String) {
    let (subject, body, sign_off, settings) = match lang {
        Language::En => english(mail),
        Language::De => german(mail),
        Language::Pl => polish(mail),
    };
    (subject, format!("{body}\n\n{sign_off}\n\n{settings}\n"))
}

type Rendered = (String, String, &'static str, &'static str);

fn english(m: &TaskMail<'_>) -> Rendered {
    let title = m.title;
    let due = m
        .due_on
        .map(|d| format!("Due on: {d}\n"))
        .unwrap_or_default();
    let about = m.about.map(|a| format!("About: {a}\n")).unwrap_or_default();
    let (subject, body) = if m.due {
        let whose = m
            .team
            .map(|t| format!(" of your team {t}"))
            .unwrap_or_default();
        (
            format!("Task due: {title}"),
            format!(
                "Hello,\n\nthe task \"{title}\"{whose} is due and still open.\n\n{due}{about}\n\
                 Open it here:\n\n{}",
                m.link
            ),
        )
    } else {
        let by = m.by.unwrap_or("Someone at your company");
        match m.team {
            Some(team) => (
                format!("New task for {team}: {title}"),
                format!(
                    "Hello,\n\n{by} has given your team {team} a task on Tradepost:\n\n\
                     \"{title}\"\n{due}{about}\nOpen it here:\n\n{}",
                    m.link
                ),
            ),
            None => (
                format!("New task for you: {title}"),
                format!(
                    "Hello,\n\n{by} has given you a task on Tradepost:\n\n\"{title}\"\n\
                     {due}{about}\nOpen it here:\n\n{}",
                    m.link
                ),
            ),
        }
    };
    (
        subject,
        body,
        "Best regards,\nThe Tradepost team",
        "You receive this mail because of your notification settings on Tradepost; you can \
         change them in the portal.",
    )
}

fn german(m: &TaskMail<'_>) -> Rendered {
    let title = m.title;
    let due = m
        .due_on
        .map(|d| format!("Fällig am: {d}\n"))
        .unwrap_or_default();
    let about = m
        .about
        .map(|a| format!("Betrifft: {a}\n"))
        .unwrap_or_default();
    let (subject, body) = if m.due {
        let whose = m
            .team
            .map(|t| format!(" Ihres Teams {t}"))
            .unwrap_or_default();
        (
            format!("Aufgabe fällig: {title}"),
            format!(
                "Hallo,\n\ndie Aufgabe „{title}“{whose} ist fällig und noch offen.\n\n\
                 {due}{about}\nHier finden Sie sie:\n\n{}",
                m.link
            ),
        )
    } else {
        let by = m.by.unwrap_or("Jemand aus Ihrem Unternehmen");
        match m.team {
            Some(team) => (
                format!("Neue Aufgabe für {team}: {title}"),
                format!(
                    "Hallo,\n\n{by} hat Ihrem Team {team} auf Tradepost eine Aufgabe \
                     gegeben:\n\n„{title}“\n{due}{about}\nHier finden Sie sie:\n\n{}",
                    m.link
                ),
            ),
            None => (
                format!("Neue Aufgabe für Sie: {title}"),
                format!(
                    "Hallo,\n\n{by} hat Ihnen auf Tradepost eine Aufgabe gegeben:\n\n\
                     „{title}“\n{due}{about}\nHier finden Sie sie:\n\n{}",
                    m.link
                ),
            ),
        }
    };
    (
        subject,
        body,
        "Viele Grüße\nIhr Tradepost-Team",
        "Sie erhalten diese E-Mail aufgrund Ihrer Benachrichtigungseinstellungen bei \
         Tradepost; Sie können sie im Portal ändern.",
    )
}

fn polish(m: &TaskMail<'_>) -> Rendered {
    let title = m.title;
    let due = m
        .due_on
        .map(|d| format!("Termin: {d}\n"))
        .unwrap_or_default();
    let about = m
        .about
        .map(|a| format!("Dotyczy: {a}\n"))
        .unwrap_or_default();
    let (subject, body) = if m.due {
        let whose = m.team.map(|t| format!(" zespołu {t}")).unwrap_or_default();
        (
            format!("Termin zadania: {title}"),
            format!(
                "Dzień dobry,\n\nzadanie „{title}”{whose} osiągnęło termin i jest nadal \
                 otwarte.\n\n{due}{about}\nZadanie jest tutaj:\n\n{}",
                m.link
            ),
        )
    } else {
        let by = m.by.unwrap_or("Ktoś z Państwa firmy");
        match m.team {
            Some(team) => (
                format!("Nowe zadanie dla zespołu {team}: {title}"),
                format!(
                    "Dzień dobry,\n\n{by} przydziela zespołowi {team} zadanie w \
                     Tradepost:\n\n„{title}”\n{due}{about}\nZadanie jest tutaj:\n\n{}",
                    m.link
                ),
            ),
            None => (
                format!("Nowe zadanie dla Państwa: {title}"),
                format!(
                    "Dzień dobry,\n\n{by} przydziela Państwu zadanie w Tradepost:\n\n\
                     „{title}”\n{due}{about}\nZadanie jest tutaj:\n\n{}",
                    m.link
                ),
            ),
        }
    };
    (
        subject,
        body,
        "Pozdrawiamy\nZespół Tradepost",
        "Otrzymują Państwo tę wiadomość zgodnie z ustawieniami powiadomień w Tradepost; można \
         je zmienić w portalu.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_names_the_task_the_team_and_the_link() {
        let mail = TaskMail {
            due: false,
            title: "Prepare the quote\nfor Nord",
            team: Some("Sales"),
            by: Some("Anna Admin"),
            due_on: Some("2027-03-01"),
            about: Some("order.xml"),
            link: "https://tp.example/tasks/tsk_1",
        };
        for lang in [Language::En, Language::De, Language::Pl] {
            let (subject, text) = render(&mail, lang);
            assert!(subject.contains("Sales"), "{subject}");
            for part in [
                "Anna Admin",
                "2027-03-01",
                "order.xml",
                "https://tp.example/tasks/tsk_1",
            ] {
                assert!(text.contains(part), "{lang:?}: {text}");
            }
        }
        let due = TaskMail {
            due: true,
            team: None,
            by: None,
            ..mail
        };
        let (subject, text) = render(&due, Language::De);
        assert!(subject.starts_with("Aufgabe fällig"), "{subject}");
        assert!(text.contains("noch offen"), "{text}");
    }
}
