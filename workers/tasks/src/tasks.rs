//! `/v1/tasks`: a company's own work items — for a team, a person, or the person of a team who
//! took it — with what they are about (a document, thread, message or proof the company is a
//! party to), comments, and the daily telling of due tasks. Everyone of the company sees and
//! moves them; nobody else finds them (every query is the company's own).
//!
//! Giving a task to someone writes `task.assigned` and the mails to them in the same batch as
//! the task; the cron writes `task.due` and its mails in the batch that notes the telling, so a
//! second run tells nobody twice.

use serde_json::json;
use shared::appointment;
use shared::data::events;
use shared::data::tasks::{self as data, Change, Filter, Named, NewTask, Recipient, TaskRow};
use shared::event::{self, Event};
use shared::ids::{CompanyId, TaskId, TeamId, UserId};
use shared::permissions::Principal;
use shared::platform::Platform;
use shared::service::{log_error, Cx, Page, Reply};
use shared::task::{AboutType, TaskStatus, MAX_TEXT, MAX_TITLE};
use shared::time::{self, Time, Timestamp};
use shared::{validate, Error, Result};

use crate::api::{
    CommentIn, TaskIn, TaskList, TaskOut, TaskPatch, TaskQuery, TasksCronIn, TasksCronOut,
};
use crate::notices::{self, TaskMail};

/// How many due tasks the cron takes per round, and how many rounds per run.
const DUE_BATCH: u32 = 100;
const DUE_ROUNDS: u32 = 20;

/// A person named in a field: `me` (the caller; an API key is nobody) or an id.
fn person(field: &str, text: &str, me: &Principal) -> Result<UserId> {
    match text.trim() {
        "me" => me
            .user_id
            .clone()
            .ok_or_else(|| Error::invalid(field, "an API key is nobody: name a person (us_…)")),
        id => UserId::parse_field(field, id),
    }
}

fn team(field: &str, text: &str) -> Result<TeamId> {
    TeamId::parse_field(field, text.trim())
}

/// The portal page of a task.
fn link(public_url: &str, id: &TaskId) -> String {
    format!("{public_url}/tasks/{id}")
}

/// Checks that what a task names exists for the company: a 422 naming the field otherwise.
fn check_named(
    named: &Named,
    team: Option<&TeamId>,
    assignee: Option<&UserId>,
    about: bool,
) -> Result<()> {
    if team.is_some() && named.team.is_none() {
        return Err(Error::invalid(
            "team_id",
            "your company has no team with this id",
        ));
    }
    if assignee.is_some() && !named.has_assignee() {
        return Err(Error::invalid(
            "assignee_id",
            "no active person of your company has this id",
        ));
    }
    if about && named.about.is_none() {
        return Err(Error::invalid(
            "about",
            "your company has no document, thread, message, approval or complaint with this id",
        ));
    }
    Ok(())
}

/// Who is told that a task was given: the assignee, or with nobody named, the team's members.
fn told(named: &Named, assignee: Option<&UserId>) -> Vec<Recipient> {
    named
        .recipients
        .iter()
        .filter(|r| assignee.is_none() || r.via == "assignee")
        .cloned()
        .collect()
}

/// The `task.assigned` event of `task` and the mails to `recipients`, for the batch after the
/// task's write.
fn assigned(
    cx: &Cx,
    me: &Principal,
    task: &AssignedTask<'_>,
    named: &Named,
    recipients: &[Recipient],
) -> Result<(Event, Vec<shared::data::Statement>)> {
    let team_name = task.team_name;
    let assignee_name = recipients
        .iter()
        .find(|r| r.via == "assignee")
        .map(|r| r.name.as_str());
    let event = Event::new(
        event::TASK_ASSIGNED,
        &me.company_id,
        json!({
            "task_id": task.id,
            "title": task.title,
            "due_on": task.due_on,
            "team_id": task.team,
            "team_name": team_name,
            "assignee_id": task.assignee,
            "assignee_name": assignee_name,
            "about_type": task.about_type,
            "about_id": task.about_id,
            "assigned_by_user_id": me.user_id,
        }),
        cx.now,
    )?;
    let mut stmts = vec![events::insert_if_changed_stmt(&event)];
    stmts.extend(notices::mail_stmts(
        &TaskMail {
            due: false,
            title: task.title,
            team: if task.assignee.is_none() {
                team_name
            } else {
                None
            },
            by: named.actor_name.as_deref(),
            due_on: task.due_on,
            about: task.about_label,
            link: &link(&cx.public_url(), task.id),
        },
        recipients,
        me.user_id.as_ref(),
        &me.company_id,
        Time(cx.now),
    )?);
    Ok((event, stmts))
}

/// What the `task.assigned` event and mails tell.
struct AssignedTask<'a> {
    id: &'a TaskId,
    title: &'a str,
    due_on: Option<&'a str>,
    team: Option<&'a TeamId>,
    team_name: Option<&'a str>,
    assignee: Option<&'a UserId>,
    about_type: Option<AboutType>,
    about_id: Option<&'a str>,
    about_label: Option<&'a str>,
}

impl<'a> AssignedTask<'a> {
    fn of(row: &'a TaskRow) -> AssignedTask<'a> {
        AssignedTask {
            id: &row.id,
            title: &row.title,
            due_on: row.due_on.as_deref(),
            team: row.team_id.as_ref(),
            team_name: row.team_name.as_deref(),
            assignee: row.assignee_id.as_ref(),
            about_type: row.about_type,
            about_id: row.about_id.as_deref(),
            about_label: row.about_label.as_deref(),
        }
    }
}

/// `POST /v1/tasks`.
pub async fn create_task(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let input: TaskIn = cx.body().await?;
    let title = validate::text("title", &input.title, 1, MAX_TITLE)?;
    let description =
        validate::optional_text("description", input.description.as_deref(), MAX_TEXT)?;
    let due_on = appointment::date("due_on", input.due_on.as_deref())?;
    let team_id = input
        .team_id
        .as_deref()
        .map(|t| team("team_id", t))
        .transpose()?;
    let assignee = input
        .assignee_id
        .as_deref()
        .map(|a| person("assignee_id", a, &me))
        .transpose()?;
    let about = input
        .about
        .as_deref()
        .map(|a| AboutType::of_id("about", a).map(|kind| (kind, a.trim().to_owned())))
        .transpose()?;
    let named = data::named(
        &cx.db,
        &me.company_id,
        team_id.as_ref(),
        assignee.as_ref(),
        about.as_ref().map(|(kind, id)| (*kind, id.as_str())),
        me.user_id.as_ref(),
    )
    .await?;
    check_named(&named, team_id.as_ref(), assignee.as_ref(), about.is_some())?;
    let id = TaskId::new(cx.now)?;
    let about_row = named.about.clone();
    let about_label = about_row.as_ref().map(|a| a.label.as_str());
    let (events, then) = if team_id.is_some() || assignee.is_some() {
        let (event, stmts) = assigned(
            cx,
            &me,
            &AssignedTask {
                id: &id,
                title: &title,
                due_on: due_on.as_deref(),
                team: team_id.as_ref(),
                team_name: named.team.as_ref().map(|t| t.name.as_str()),
                assignee: assignee.as_ref(),
                about_type: about.as_ref().map(|(kind, _)| *kind),
                about_id: about.as_ref().map(|(_, id)| id.as_str()),
                about_label,
            },
            &named,
            &told(&named, assignee.as_ref()),
        )?;
        (vec![event], stmts)
    } else {
        (Vec::new(), Vec::new())
    };
    let row = data::insert_task(
        &cx.db,
        &NewTask {
            id: &id,
            company: &me.company_id,
            title: &title,
            description: description.as_deref(),
            due_on: due_on.as_deref(),
            team: team_id.as_ref(),
            assignee: assignee.as_ref(),
            about: match (&about, &about_row) {
                (Some((kind, about_id)), Some(found)) => Some((*kind, about_id.as_str(), found)),
                _ => None,
            },
            by_user: me.user_id.as_ref(),
            by_api_key: me.api_key_id.as_ref(),
            now: Time(cx.now),
        },
        then,
    )
    .await?;
    cx.publish(events);
    let today = time::day(cx.now);
    Ok(Reply::json(201, &TaskOut::of(row, Vec::new(), &today))?
        .with_header("location", format!("/v1/tasks/{id}")))
}

/// `GET /v1/tasks?assignee=&team=&status=&open=&about=&due_by=`.
pub async fn list_tasks(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let q: TaskQuery = cx.query_as()?;
    let page = Page::from_request(cx)?;
    let mut filter = Filter {
        status: q
            .status
            .as_deref()
            .map(|s| TaskStatus::parse("status", s.trim()))
            .transpose()?,
        open: match q.open.as_deref().map(str::trim) {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(Error::invalid("open", "must be true or false")),
        },
        assignee: q
            .assignee
            .as_deref()
            .map(|a| person("assignee", a, &me))
            .transpose()?,
        about: q
            .about
            .as_deref()
            .map(|a| AboutType::of_id("about", a).map(|_| a.trim().to_owned()))
            .transpose()?,
        due_by: match q.due_by.as_deref() {
            Some(d) => appointment::date("due_by", Some(d))?,
            None => None,
        },
        ..Filter::default()
    };
    match q.team.as_deref().map(str::trim) {
        None => {}
        Some("mine") => {
            filter.teams_of = Some(person("team", "me", &me)?);
        }
        Some(t) => filter.team = Some(team("team", t)?),
    }
    let today = time::day(cx.now);
    let (rows, counts) = data::tasks(
        &cx.db,
        &me.company_id,
        &filter,
        me.user_id.as_ref(),
        &today,
        page.before.as_deref(),
        page.fetch(),
    )
    .await?;
    let (rows, next_cursor) = page.finish(rows, |r| r.id.to_string());
    Reply::json(
        200,
        &TaskList {
            data: rows
                .into_iter()
                .map(|r| TaskOut::of(r, Vec::new(), &today))
                .collect(),
            counts,
            next_cursor,
        },
    )
}

/// `GET /v1/tasks/{id}`: the task with its comments.
pub async fn get_task(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let id = TaskId::parse(cx.param("id"))?;
    let (row, comments) = data::task(&cx.db, &me.company_id, &id)
        .await?
        .ok_or(Error::not_found("task"))?;
    Reply::json(200, &TaskOut::of(row, comments, &time::day(cx.now)))
}

/// `PATCH /v1/tasks/{id}`: changes what is sent; giving it to another person or team tells
/// them.
pub async fn update_task(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let id = TaskId::parse(cx.param("id"))?;
    let patch: TaskPatch = cx.body().await?;
    let change = Change {
        title: patch
            .title
            .as_deref()
            .map(|t| validate::text("title", t, 1, MAX_TITLE))
            .transpose()?,
        description: patch
            .description
            .map(|d| validate::optional_text("description", d.as_deref(), MAX_TEXT))
            .transpose()?,
        status: patch.status,
        due_on: patch
            .due_on
            .map(|d| appointment::date("due_on", d.as_deref()))
            .transpose()?,
        team: patch
            .team_id
            .map(|t| t.as_deref().map(|t| team("team_id", t)).transpose())
            .transpose()?,
        assignee: patch
            .assignee_id
            .map(|a| {
                a.as_deref()
                    .map(|a| person("assignee_id", a, &me))
                    .transpose()
            })
            .transpose()?,
    };
    let (before, _) = data::task(&cx.db, &me.company_id, &id)
        .await?
        .ok_or(Error::not_found("task"))?;
    // Whom the task is for after the change, and whether that is someone new.
    let assignee = change
        .assignee
        .clone()
        .unwrap_or(before.assignee_id.clone());
    let team_id = change.team.clone().unwrap_or(before.team_id.clone());
    let still_open = change.status.unwrap_or(before.status).is_open();
    let new_assignee = assignee.is_some() && assignee != before.assignee_id;
    let new_team = assignee.is_none() && team_id.is_some() && team_id != before.team_id;
    let tell = still_open && (new_assignee || new_team);
    let named_team = match &change.team {
        Some(Some(t)) => Some(t.clone()),
        _ if tell && assignee.is_none() => team_id.clone(),
        _ => None,
    };
    let named_assignee = match &change.assignee {
        Some(Some(a)) => Some(a.clone()),
        _ => None,
    };
    let mut events = Vec::new();
    let mut then = Vec::new();
    if named_team.is_some() || named_assignee.is_some() {
        let named = data::named(
            &cx.db,
            &me.company_id,
            named_team.as_ref(),
            named_assignee.as_ref(),
            None,
            me.user_id.as_ref(),
        )
        .await?;
        check_named(&named, named_team.as_ref(), named_assignee.as_ref(), false)?;
        if tell {
            let after = TaskRow {
                title: change.title.clone().unwrap_or(before.title.clone()),
                due_on: change.due_on.clone().unwrap_or(before.due_on.clone()),
                team_id: team_id.clone(),
                // The new team's name, or the name it had.
                team_name: match &change.team {
                    Some(Some(_)) => named.team.as_ref().map(|t| t.name.clone()),
                    Some(None) => None,
                    None => before.team_name.clone(),
                },
                assignee_id: assignee.clone(),
                ..before.clone()
            };
            let (event, stmts) = assigned(
                cx,
                &me,
                &AssignedTask::of(&after),
                &named,
                &told(&named, assignee.as_ref()),
            )?;
            events.push(event);
            then = stmts;
        }
    }
    let (_, after) =
        data::update_task(&cx.db, &me.company_id, &id, &change, then, Time(cx.now)).await?;
    let (row, comments) = after.ok_or(Error::not_found("task"))?;
    cx.publish(events);
    Reply::json(200, &TaskOut::of(row, comments, &time::day(cx.now)))
}

/// `POST /v1/tasks/{id}/comments`: 201 with the task and its comments.
pub async fn comment_task(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let id = TaskId::parse(cx.param("id"))?;
    let input: CommentIn = cx.body().await?;
    let text = validate::text("text", &input.text, 1, MAX_TEXT)?;
    let user = me
        .user_id
        .clone()
        .ok_or_else(|| Error::forbidden("user_required", "only a person can comment"))?;
    let (row, comments) =
        data::insert_comment(&cx.db, &me.company_id, &id, &user, &text, Time(cx.now))
            .await?
            .ok_or(Error::not_found("task"))?;
    Reply::json(201, &TaskOut::of(row, comments, &time::day(cx.now)))
}

// ---- the cron ---------------------------------------------------------------------------------

/// Tells the people of every open task due by the day of `as_of` (of `company` only, when
/// given) that it is due: `task.due` and the mails, once per due date.
///
/// # Errors
/// A database error finding the due tasks (one task's failure is logged, the rest go on).
pub async fn run_cron(
    env: &Platform,
    as_of: Timestamp,
    company: Option<&CompanyId>,
) -> Result<TasksCronOut> {
    let today = time::day(as_of);
    let public_url = env.public_url();
    let mut out = TasksCronOut::default();
    for _ in 0..DUE_ROUNDS {
        let due = data::due(&env.db, &today, company, DUE_BATCH).await?;
        let mut failed = false;
        for task in &due {
            match tell_due(env, task, &today, &public_url, as_of).await {
                Ok(Some(mails)) => {
                    out.told += 1;
                    out.mails += mails;
                }
                Ok(None) => {}
                Err(e) => {
                    failed = true;
                    log_error(&format!("telling that task {} is due failed: {e}", task.id));
                }
            }
        }
        // A failed task would be found again: the next run takes it.
        if failed || due.len() < DUE_BATCH as usize {
            break;
        }
    }
    Ok(out)
}

/// Tells one due task; how many mails went out (`None`: somebody told it already).
async fn tell_due(
    env: &Platform,
    task: &data::DueRow,
    today: &str,
    public_url: &str,
    now: Timestamp,
) -> Result<Option<u32>> {
    let recipients = data::due_recipients(&env.db, task).await?;
    let event = Event::new(
        event::TASK_DUE,
        &task.company_id,
        json!({
            "task_id": task.id,
            "title": task.title,
            "due_on": task.due_on,
            "team_id": task.team_id,
            "team_name": task.team_name,
            "assignee_id": task.assignee_id,
            "as_of": today,
        }),
        now,
    )?;
    let mails = notices::mail_stmts(
        &TaskMail {
            due: true,
            title: &task.title,
            team: if task.assignee_id.is_none() {
                task.team_name.as_deref()
            } else {
                None
            },
            by: None,
            due_on: Some(&task.due_on),
            about: None,
            link: &link(public_url, &task.id),
        },
        &recipients,
        None,
        &task.company_id,
        Time(now),
    )?;
    let count = u32::try_from(mails.len()).unwrap_or(u32::MAX);
    let mut batch = vec![
        data::due_told_stmt(&task.id, today),
        events::insert_if_changed_stmt(&event),
    ];
    batch.extend(mails);
    let changed = env.db.batch(batch).await?;
    if changed.first().is_none_or(|n| *n == 0) {
        return Ok(None);
    }
    if let Ok(queue) = env.queue() {
        shared::service::publish(queue, &[event]).await;
    }
    Ok(Some(count))
}

/// `POST /v1/dev/tasks/cron {company_id?, as_of?}` (dev only; crons do not fire locally).
pub async fn dev_tasks_cron(cx: &mut Cx) -> Result<Reply> {
    let input: TasksCronIn = cx.body().await?;
    let company = input
        .company_id
        .as_deref()
        .map(|c| CompanyId::parse_field("company_id", c.trim()))
        .transpose()?;
    let as_of = match input.as_of {
        Some(t) => time::parse("as_of", &t)?,
        None => cx.now,
    };
    Reply::json(200, &run_cron(&cx.env, as_of, company.as_ref()).await?)
}
