//! `teams`, `team_members`, `tasks`, `task_comments`: a company's own work items (workers/tasks,
//! docs/tasks.md). Internal: every loader takes the viewing company and reads its rows only, so
//! the partner of a document a task is about never finds the task.
//!
//! Names (a task's team, assignee and creator, a comment's author) are read from `users` and
//! `teams` when answering, never copied, so an erased person shows as "Former user".

use serde::Deserialize;

use super::{first_of, rows_of, Db, Statement};
use crate::ids::{ApiKeyId, CompanyId, TaskCommentId, TaskId, TeamId, UserId};
use crate::lang::Language;
use crate::platform::{Json, Query};
use crate::task::{AboutType, TaskStatus};
use crate::time::Time;
use crate::{Error, Result};

/// The constraint of a team name the company has already.
pub const TEAM_NAME_TAKEN: &str = "teams.company_id, teams.name";

crate::platform::db::bind_as_str!(TaskStatus, AboutType);

// ---- teams ------------------------------------------------------------------------------------

/// A person of the company, by id and name.
#[derive(Debug, Clone, Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct Person {
    pub id: UserId,
    pub name: String,
}

/// A team with its active members.
#[derive(Debug, Deserialize)]
pub struct TeamRow {
    pub id: TeamId,
    pub name: String,
    pub members: Json<Vec<Person>>,
    pub created_at: Time,
    pub updated_at: Time,
}

const TEAM_SELECT: &str = "SELECT m.id, m.name, m.created_at, m.updated_at, \
     (SELECT json_group_array(json_object('id', p.id, 'name', p.name)) FROM \
       (SELECT u.id, u.name FROM team_members x JOIN users u ON u.id = x.user_id \
        WHERE x.team_id = m.id AND u.status = 'active' ORDER BY u.name) p) AS members \
     FROM teams m WHERE m.company_id = ?1";

fn team_stmt(viewer: &CompanyId, id: &TeamId) -> Statement {
    Statement::new(format!("{TEAM_SELECT} AND m.id = ?2"), &[viewer, id])
}

/// The viewer's teams by name, and its active people (whom a task can be assigned to), in one
/// round trip.
///
/// # Errors
/// A database error.
pub async fn teams(db: &Db, viewer: &CompanyId) -> Result<(Vec<TeamRow>, Vec<Person>)> {
    let out = db
        .batch_rows(vec![
            Statement::new(format!("{TEAM_SELECT} ORDER BY m.name"), &[viewer]),
            Statement::new(
                "SELECT id, name FROM users WHERE company_id = ?1 AND status = 'active' \
                 ORDER BY name, id",
                &[viewer],
            ),
        ])
        .await?;
    Ok((
        rows_of(out.first(), "teams")?,
        rows_of(out.get(1), "users")?,
    ))
}

/// One of the viewer's teams.
///
/// # Errors
/// A database error.
pub async fn team(db: &Db, viewer: &CompanyId, id: &TeamId) -> Result<Option<TeamRow>> {
    db.first_of(team_stmt(viewer, id)).await
}

/// Runs `change` and reads the team after it, in one batch.
async fn change_team(
    db: &Db,
    viewer: &CompanyId,
    id: &TeamId,
    change: Vec<Statement>,
) -> Result<Option<TeamRow>> {
    let mut batch = change;
    batch.push(team_stmt(viewer, id));
    let out = db.batch_rows(batch).await?;
    first_of(out.last())
}

/// A new team of the viewer (a taken name is [`TEAM_NAME_TAKEN`]).
///
/// # Errors
/// A database error, or the unique violation.
pub async fn insert_team(
    db: &Db,
    viewer: &CompanyId,
    id: &TeamId,
    name: &str,
    now: Time,
) -> Result<Option<TeamRow>> {
    let insert = Statement::new(
        "INSERT INTO teams (id, company_id, name, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?4)",
        &[id, viewer, &name, &now],
    );
    change_team(db, viewer, id, vec![insert]).await
}

/// Renames one of the viewer's teams; `None` when it has no such team.
///
/// # Errors
/// A database error, or [`TEAM_NAME_TAKEN`].
pub async fn rename_team(
    db: &Db,
    viewer: &CompanyId,
    id: &TeamId,
    name: &str,
    now: Time,
) -> Result<Option<TeamRow>> {
    let update = Statement::new(
        "UPDATE teams SET name = ?3, updated_at = ?4 WHERE id = ?1 AND company_id = ?2 \
         AND name != ?3",
        &[id, viewer, &name, &now],
    );
    change_team(db, viewer, id, vec![update]).await
}

/// Deletes one of the viewer's teams; its tasks keep their assignee and lose the team. Whether
/// there was such a team.
///
/// # Errors
/// A database error.
pub async fn delete_team(db: &Db, viewer: &CompanyId, id: &TeamId, now: Time) -> Result<bool> {
    let own = "team_id IN (SELECT id FROM teams WHERE id = ?1 AND company_id = ?2)";
    let changed = db
        .batch(vec![
            Statement::new(
                format!("UPDATE tasks SET team_id = NULL, updated_at = ?3 WHERE {own}"),
                &[id, viewer, &now],
            ),
            Statement::new(
                format!("DELETE FROM team_members WHERE {own}"),
                &[id, viewer],
            ),
            Statement::new(
                "DELETE FROM teams WHERE id = ?1 AND company_id = ?2",
                &[id, viewer],
            ),
        ])
        .await?;
    Ok(changed.last().is_some_and(|n| *n > 0))
}

/// Puts an active person of the viewer into one of its teams (again: no change). The team
/// after it; a person who is not an active person of the viewer is not among its members.
///
/// # Errors
/// A database error.
pub async fn add_member(
    db: &Db,
    viewer: &CompanyId,
    id: &TeamId,
    user: &UserId,
    now: Time,
) -> Result<Option<TeamRow>> {
    let insert = Statement::new(
        "INSERT OR IGNORE INTO team_members (team_id, user_id, added_at) \
         SELECT m.id, u.id, ?4 FROM teams m JOIN users u ON u.company_id = m.company_id \
         WHERE m.id = ?1 AND m.company_id = ?2 AND u.id = ?3 AND u.status = 'active'",
        &[id, viewer, user, &now],
    );
    change_team(db, viewer, id, vec![insert]).await
}

/// Takes a person out of one of the viewer's teams (not in it: no change). The team after it.
///
/// # Errors
/// A database error.
pub async fn remove_member(
    db: &Db,
    viewer: &CompanyId,
    id: &TeamId,
    user: &UserId,
) -> Result<Option<TeamRow>> {
    let delete = Statement::new(
        "DELETE FROM team_members WHERE team_id = ?1 AND user_id = ?3 \
         AND team_id IN (SELECT id FROM teams WHERE company_id = ?2)",
        &[id, viewer, user],
    );
    change_team(db, viewer, id, vec![delete]).await
}

// ---- who is told, what a task is about --------------------------------------------------------

/// A person to tell about a task: the assignee (`via` = `assignee`) or a member of its team
/// (`team`), with their mail choices (`None`: the defaults).
#[derive(Debug, Clone, Deserialize)]
pub struct Recipient {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub language: Language,
    pub events: Option<Json<Vec<String>>>,
    pub known: Option<Json<Vec<String>>>,
    pub via: String,
}

impl Recipient {
    /// Whether they want mails of `event_type` ([`crate::notice::wants`]).
    #[must_use]
    pub fn wants(&self, event_type: &str) -> bool {
        crate::notice::wants(
            self.events.as_ref().map(|e| e.0.as_slice()),
            self.known.as_ref().map(|k| k.0.as_slice()),
            event_type,
        )
    }
}

fn recipients_stmt(
    viewer: &CompanyId,
    assignee: Option<&UserId>,
    team: Option<&TeamId>,
) -> Statement {
    Statement::new(
        "SELECT u.id, u.name, u.email, u.language, s.events, s.known, 'assignee' AS via FROM users u \
         LEFT JOIN notification_settings s ON s.user_id = u.id \
         WHERE u.id = ?2 AND u.company_id = ?1 AND u.status = 'active' \
         UNION ALL \
         SELECT u.id, u.name, u.email, u.language, s.events, s.known, 'team' AS via FROM team_members x \
         JOIN users u ON u.id = x.user_id LEFT JOIN notification_settings s ON s.user_id = u.id \
         WHERE x.team_id = ?3 AND u.company_id = ?1 AND u.status = 'active'",
        &[viewer, &assignee, &team],
    )
}

/// What a task is about, as the viewer sees it: a label, and the thread (of a message).
#[derive(Debug, Clone, Deserialize)]
pub struct About {
    pub label: String,
    pub thread_id: Option<String>,
}

fn about_stmt(viewer: &CompanyId, kind: AboutType, id: &str) -> Statement {
    let sql = match kind {
        // A held document is not in the recipient's mailbox yet.
        AboutType::Document => {
            "SELECT filename AS label, NULL AS thread_id FROM documents WHERE id = ?1 \
             AND (sender_id = ?2 OR (recipient_id = ?2 AND status != 'held'))"
        }
        AboutType::Thread => {
            "SELECT subject AS label, id AS thread_id FROM threads WHERE id = ?1 \
             AND (company_id = ?2 OR partner_id = ?2)"
        }
        AboutType::Message => {
            "SELECT t.subject || ': ' || substr(m.text, 1, 60) AS label, t.id AS thread_id \
             FROM messages m JOIN threads t ON t.id = m.thread_id WHERE m.id = ?1 \
             AND (t.company_id = ?2 OR t.partner_id = ?2)"
        }
        AboutType::Approval => {
            "SELECT filename || ' (v' || version || ')' AS label, NULL AS thread_id \
             FROM approvals WHERE id = ?1 AND (supplier_id = ?2 OR customer_id = ?2)"
        }
        AboutType::Complaint => {
            "SELECT number AS label, NULL AS thread_id \
             FROM complaints WHERE id = ?1 AND (supplier_id = ?2 OR customer_id = ?2)"
        }
        AboutType::QuoteRequest => {
            "SELECT number || ': ' || title AS label, thread_id \
             FROM quote_requests WHERE id = ?1 AND (supplier_id = ?2 OR customer_id = ?2)"
        }
    };
    Statement::new(sql, &[&id, viewer])
}

/// What a new or changed task names, looked up in one round trip.
#[derive(Debug, Default)]
pub struct Named {
    /// The team, when one was named and the viewer has it.
    pub team: Option<TeamRow>,
    /// The assignee (first, when one was named and is active) and the team's members.
    pub recipients: Vec<Recipient>,
    /// What it is about, when named and the viewer is a party to it.
    pub about: Option<About>,
    /// The name of the person who acts.
    pub actor_name: Option<String>,
}

impl Named {
    /// Whether the assignee named is an active person of the viewer.
    #[must_use]
    pub fn has_assignee(&self) -> bool {
        self.recipients.iter().any(|r| r.via == "assignee")
    }
}

/// Looks up a team, an assignee, what a task is about and the acting person's name, as far as
/// they are named.
///
/// # Errors
/// A database error.
pub async fn named(
    db: &Db,
    viewer: &CompanyId,
    team: Option<&TeamId>,
    assignee: Option<&UserId>,
    about: Option<(AboutType, &str)>,
    actor: Option<&UserId>,
) -> Result<Named> {
    #[derive(Deserialize)]
    struct Name {
        name: String,
    }
    let mut batch = vec![
        recipients_stmt(viewer, assignee, team),
        Statement::new(
            "SELECT name FROM users WHERE id = ?1 AND company_id = ?2",
            &[&actor, viewer],
        ),
    ];
    if let Some(team) = team {
        batch.push(team_stmt(viewer, team));
    }
    if let Some((kind, id)) = about {
        batch.push(about_stmt(viewer, kind, id));
    }
    let out = db.batch_rows(batch).await?;
    let mut recipients: Vec<Recipient> = rows_of(out.first(), "task recipients")?;
    // The assignee first, and once even when they are in the team too.
    recipients.sort_by_key(|r| r.via != "assignee");
    let mut seen = Vec::new();
    recipients.retain(|r| {
        let new = !seen.contains(&r.id);
        seen.push(r.id.clone());
        new
    });
    let actor: Option<Name> = first_of(out.get(1))?;
    // After the recipients and the actor: the team's row, then what it is about, when asked.
    let team_at = team.map(|_| 2);
    let about_at = about.map(|_| 2 + usize::from(team.is_some()));
    let team = first_of(team_at.and_then(|i| out.get(i)))?;
    let about = first_of(about_at.and_then(|i| out.get(i)))?;
    Ok(Named {
        team,
        recipients,
        about,
        actor_name: actor.map(|a| a.name),
    })
}

// ---- tasks ------------------------------------------------------------------------------------

/// A task with the names of its team, assignee and creator.
#[derive(Debug, Clone, Deserialize)]
pub struct TaskRow {
    pub id: TaskId,
    pub title: String,
    pub description: Option<String>,
    pub status: TaskStatus,
    pub due_on: Option<String>,
    pub team_id: Option<TeamId>,
    pub team_name: Option<String>,
    pub assignee_id: Option<UserId>,
    pub assignee_name: Option<String>,
    pub about_type: Option<AboutType>,
    pub about_id: Option<String>,
    pub about_label: Option<String>,
    pub about_thread_id: Option<String>,
    pub created_by_user_id: Option<UserId>,
    pub created_by_name: Option<String>,
    pub created_by_api_key_id: Option<ApiKeyId>,
    pub comment_count: u64,
    pub created_at: Time,
    pub updated_at: Time,
    pub closed_at: Option<Time>,
}

const TASK_SELECT: &str = "SELECT t.id, t.title, t.description, t.status, t.due_on, t.team_id, \
     m.name AS team_name, t.assignee_id, a.name AS assignee_name, t.about_type, t.about_id, \
     t.about_label, t.about_thread_id, t.created_by_user_id, c.name AS created_by_name, \
     t.created_by_api_key_id, t.created_at, t.updated_at, t.closed_at, \
     (SELECT COUNT(*) FROM task_comments k WHERE k.task_id = t.id) AS comment_count \
     FROM tasks t LEFT JOIN teams m ON m.id = t.team_id LEFT JOIN users a ON a.id = t.assignee_id \
     LEFT JOIN users c ON c.id = t.created_by_user_id WHERE t.company_id = ?1";

/// A comment with its author's name.
#[derive(Debug, Clone, Deserialize)]
pub struct CommentRow {
    pub id: TaskCommentId,
    pub user_id: UserId,
    pub user_name: String,
    pub text: String,
    pub created_at: Time,
}

fn task_stmts(viewer: &CompanyId, id: &TaskId) -> [Statement; 2] {
    [
        Statement::new(format!("{TASK_SELECT} AND t.id = ?2"), &[viewer, id]),
        Statement::new(
            "SELECT k.id, k.user_id, COALESCE(u.name, ?3) AS user_name, k.text, k.created_at \
             FROM task_comments k JOIN tasks t ON t.id = k.task_id \
             LEFT JOIN users u ON u.id = k.user_id \
             WHERE t.id = ?2 AND t.company_id = ?1 ORDER BY k.id",
            &[viewer, id, &super::users::FORMER_USER],
        ),
    ]
}

/// Runs `before` and reads the task with its comments after it, in one batch.
async fn with_task(
    db: &Db,
    viewer: &CompanyId,
    id: &TaskId,
    before: Vec<Statement>,
) -> Result<(Vec<u64>, Option<(TaskRow, Vec<CommentRow>)>)> {
    let n = before.len();
    let mut batch = before;
    batch.extend(task_stmts(viewer, id));
    let out = db.batch_rows(batch).await?;
    let changed = out.iter().take(n).map(|o| o.changes).collect();
    let task: Option<TaskRow> = first_of(out.get(n))?;
    let comments = rows_of(out.get(n + 1), "task comments")?;
    Ok((changed, task.map(|t| (t, comments))))
}

/// One of the viewer's tasks with its comments, oldest first.
///
/// # Errors
/// A database error.
pub async fn task(
    db: &Db,
    viewer: &CompanyId,
    id: &TaskId,
) -> Result<Option<(TaskRow, Vec<CommentRow>)>> {
    Ok(with_task(db, viewer, id, Vec::new()).await?.1)
}

/// What a list of tasks shows.
#[derive(Debug, Default)]
pub struct Filter {
    pub status: Option<TaskStatus>,
    /// Only open and in-progress tasks.
    pub open: bool,
    pub assignee: Option<UserId>,
    pub team: Option<TeamId>,
    /// Only tasks of the teams this person is in.
    pub teams_of: Option<UserId>,
    /// Only tasks about this (a thread: also about its messages).
    pub about: Option<String>,
    /// Only tasks due on or before this day.
    pub due_by: Option<String>,
}

/// How many open tasks the viewer has: in all, the person's own, their teams', overdue.
#[derive(Debug, Default, Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct Counts {
    /// Open or in progress.
    pub open: u64,
    /// Of those, assigned to the caller.
    pub mine: u64,
    /// Of those, for a team the caller is in.
    pub my_teams: u64,
    /// Of those, due before today.
    pub overdue: u64,
}

/// A page of the viewer's tasks, newest first, and the counts of its open ones for `person`
/// as of `today`, in one round trip.
///
/// # Errors
/// A database error.
pub async fn tasks(
    db: &Db,
    viewer: &CompanyId,
    filter: &Filter,
    person: Option<&UserId>,
    today: &str,
    before: Option<&str>,
    fetch: u32,
) -> Result<(Vec<TaskRow>, Counts)> {
    let mut q = Query::new(TASK_SELECT, &[viewer]);
    if let Some(status) = filter.status {
        q.filter(" AND t.status = ?n", &status);
    }
    if filter.open {
        q.push(" AND t.status IN ('open', 'in_progress')");
    }
    if let Some(assignee) = &filter.assignee {
        q.filter(" AND t.assignee_id = ?n", assignee);
    }
    if let Some(team) = &filter.team {
        q.filter(" AND t.team_id = ?n", team);
    }
    if let Some(person) = &filter.teams_of {
        q.filter(
            " AND t.team_id IN (SELECT team_id FROM team_members WHERE user_id = ?n)",
            person,
        );
    }
    if let Some(about) = &filter.about {
        q.filter(" AND (t.about_id = ?n OR t.about_thread_id = ?n)", about);
    }
    if let Some(day) = &filter.due_by {
        q.filter(" AND t.due_on <= ?n", day);
    }
    if let Some(before) = before {
        q.filter(" AND t.id < ?n", &before);
    }
    q.filter(" ORDER BY t.id DESC LIMIT ?n", &fetch);
    let counts = Statement::new(
        "SELECT COUNT(*) AS open, COALESCE(SUM(assignee_id = ?2), 0) AS mine, \
         COALESCE(SUM(team_id IN (SELECT team_id FROM team_members WHERE user_id = ?2)), 0) \
           AS my_teams, \
         COALESCE(SUM(due_on < ?3), 0) AS overdue \
         FROM tasks WHERE company_id = ?1 AND status IN ('open', 'in_progress')",
        &[viewer, &person, &today],
    );
    let out = db.batch_rows(vec![q.statement(), counts]).await?;
    Ok((
        rows_of(out.first(), "tasks")?,
        first_of(out.get(1))?.unwrap_or_default(),
    ))
}

/// A new task.
pub struct NewTask<'a> {
    pub id: &'a TaskId,
    pub company: &'a CompanyId,
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub due_on: Option<&'a str>,
    pub team: Option<&'a TeamId>,
    pub assignee: Option<&'a UserId>,
    pub about: Option<(AboutType, &'a str, &'a About)>,
    pub by_user: Option<&'a UserId>,
    pub by_api_key: Option<&'a ApiKeyId>,
    pub now: Time,
}

/// Writes a task and `then` (its event and mails, each written only when the one before it
/// changed a row) in one batch; the task as written.
///
/// # Errors
/// A database error.
pub async fn insert_task(db: &Db, t: &NewTask<'_>, then: Vec<Statement>) -> Result<TaskRow> {
    let (kind, about_id, about) = match t.about {
        Some((kind, id, about)) => (Some(kind), Some(id), Some(about)),
        None => (None, None, None),
    };
    let mut batch = vec![Statement::new(
        "INSERT INTO tasks (id, company_id, title, description, status, due_on, team_id, \
         assignee_id, about_type, about_id, about_label, about_thread_id, created_by_user_id, \
         created_by_api_key_id, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)",
        &[
            t.id,
            t.company,
            &t.title,
            &t.description,
            &t.due_on,
            &t.team,
            &t.assignee,
            &kind,
            &about_id,
            &about.map(|a| a.label.as_str()),
            &about.and_then(|a| a.thread_id.as_deref()),
            &t.by_user,
            &t.by_api_key,
            &t.now,
        ],
    )];
    batch.extend(then);
    let (_, task) = with_task(db, t.company, t.id, batch).await?;
    task.map(|(row, _)| row)
        .ok_or_else(|| Error::internal("a task just written could not be read"))
}

/// A change of a task: only what is set changes (`Some(None)` clears).
#[derive(Debug, Default)]
pub struct Change {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub status: Option<TaskStatus>,
    pub due_on: Option<Option<String>>,
    pub team: Option<Option<TeamId>>,
    pub assignee: Option<Option<UserId>>,
}

/// Changes one of the viewer's tasks, then `then` (its event and mails, each written only when
/// the one before it changed a row), and reads it again, in one batch. Whether it changed, and
/// the task after it (`None`: the viewer has no such task).
///
/// # Errors
/// A database error.
pub async fn update_task(
    db: &Db,
    viewer: &CompanyId,
    id: &TaskId,
    change: &Change,
    then: Vec<Statement>,
    now: Time,
) -> Result<(bool, Option<(TaskRow, Vec<CommentRow>)>)> {
    let mut q = Query::new("UPDATE tasks SET updated_at = ?1", &[&now]);
    if let Some(title) = &change.title {
        q.filter(", title = ?n", title);
    }
    if let Some(description) = &change.description {
        q.filter(", description = ?n", description);
    }
    if let Some(status) = change.status {
        q.filter(", status = ?n", &status);
        if status.is_open() {
            q.push(", closed_at = NULL");
        } else {
            q.filter(", closed_at = COALESCE(closed_at, ?n)", &now);
        }
    }
    if let Some(due_on) = &change.due_on {
        // A new due date is told again when it comes.
        q.filter(", due_on = ?n, due_notified_on = NULL", due_on);
    }
    if let Some(team) = &change.team {
        q.filter(", team_id = ?n", team);
    }
    if let Some(assignee) = &change.assignee {
        q.filter(", assignee_id = ?n", assignee);
    }
    q.filter(" WHERE id = ?n", id);
    q.filter(" AND company_id = ?n", viewer);
    let mut batch = vec![q.statement()];
    batch.extend(then);
    let (changed, task) = with_task(db, viewer, id, batch).await?;
    Ok((changed.first().is_some_and(|n| *n > 0), task))
}

/// Adds a person's comment to one of the viewer's tasks; the task with its comments after it
/// (`None`: no such task).
///
/// # Errors
/// A database error.
pub async fn insert_comment(
    db: &Db,
    viewer: &CompanyId,
    id: &TaskId,
    user: &UserId,
    text: &str,
    now: Time,
) -> Result<Option<(TaskRow, Vec<CommentRow>)>> {
    let insert = Statement::new(
        "INSERT INTO task_comments (id, task_id, user_id, text, created_at) \
         SELECT ?1, id, ?3, ?4, ?5 FROM tasks WHERE id = ?2 AND company_id = ?6",
        &[&TaskCommentId::new(now.0)?, id, user, &text, &now, viewer],
    );
    let touch = Statement::new(
        "UPDATE tasks SET updated_at = ?3 WHERE id = ?1 AND company_id = ?2",
        &[id, viewer, &now],
    );
    Ok(with_task(db, viewer, id, vec![insert, touch]).await?.1)
}

// ---- due tasks --------------------------------------------------------------------------------

/// An open task due by the day the cron runs for, not told about yet, with whom to tell.
#[derive(Debug, Clone, Deserialize)]
pub struct DueRow {
    pub id: TaskId,
    pub company_id: CompanyId,
    pub title: String,
    pub due_on: String,
    pub team_id: Option<TeamId>,
    pub team_name: Option<String>,
    pub assignee_id: Option<UserId>,
}

/// Up to `limit` open tasks due on or before `day` that were not told about (of `company`
/// only, when given).
///
/// # Errors
/// A database error.
pub async fn due(
    db: &Db,
    day: &str,
    company: Option<&CompanyId>,
    limit: u32,
) -> Result<Vec<DueRow>> {
    db.all(
        "SELECT t.id, t.company_id, t.title, t.due_on, t.team_id, m.name AS team_name, \
         t.assignee_id FROM tasks t LEFT JOIN teams m ON m.id = t.team_id \
         WHERE t.due_on <= ?1 AND t.status IN ('open', 'in_progress') \
         AND t.due_notified_on IS NULL AND (?2 IS NULL OR t.company_id = ?2) \
         ORDER BY t.due_on, t.id LIMIT ?3",
        &[&day, &company, &limit],
    )
    .await
}

/// Whom to tell about a due task (its assignee, or else its team's members).
///
/// # Errors
/// A database error.
pub async fn due_recipients(db: &Db, task: &DueRow) -> Result<Vec<Recipient>> {
    let team = if task.assignee_id.is_some() {
        None
    } else {
        task.team_id.as_ref()
    };
    db.all_of(recipients_stmt(
        &task.company_id,
        task.assignee_id.as_ref(),
        team,
    ))
    .await
}

/// Notes that a due task was told about on `day`; the event and mails after it are written
/// only when this changed the row (a second run tells nobody again).
#[must_use]
pub fn due_told_stmt(task: &TaskId, day: &str) -> Statement {
    Statement::new(
        "UPDATE tasks SET due_notified_on = ?2 WHERE id = ?1 AND due_notified_on IS NULL \
         AND status IN ('open', 'in_progress')",
        &[task, &day],
    )
}
