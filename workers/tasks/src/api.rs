//! What the tasks worker takes and answers: teams and the people to assign to, tasks with
//! what they are about, comments.

use serde::{Deserialize, Serialize};
use shared::data::tasks::{CommentRow, Counts, Person, TaskRow, TeamRow};
use shared::ids::{ApiKeyId, TaskCommentId, TaskId, TeamId, UserId};
use shared::task::{AboutType, TaskStatus};
use shared::time::Time;
use utoipa::{IntoParams, ToSchema};

/// Reads a field that may be absent (`None`), null (`Some(None)`) or set.
fn present<'de, D, T>(de: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

// ---- teams ------------------------------------------------------------------------------------

/// A new team, or a team's new name.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamIn {
    /// Unique in the company (`Sales`, `Returns`, …).
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
}

/// A team with its active members, by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamOut {
    pub id: TeamId,
    pub name: String,
    pub members: Vec<Person>,
    pub created_at: Time,
    pub updated_at: Time,
}

impl TeamOut {
    #[must_use]
    pub fn of(row: TeamRow) -> TeamOut {
        TeamOut {
            id: row.id,
            name: row.name,
            members: row.members.0,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// The company's teams by name, and its active people (whom a task can be assigned to).
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamList {
    pub data: Vec<TeamOut>,
    pub people: Vec<Person>,
}

// ---- tasks ------------------------------------------------------------------------------------

/// A new task, for a team, a person of the company, or both (the person of the team who
/// takes it).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskIn {
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 4000)]
    pub description: Option<String>,
    /// `YYYY-MM-DD`: the people it is for are told that morning if it is still open.
    #[serde(default)]
    #[schema(format = Date)]
    pub due_on: Option<String>,
    /// A team of the company (`tem_…`).
    #[serde(default)]
    #[schema(pattern = "^tem_[0-9a-z]{26}$")]
    pub team_id: Option<String>,
    /// An active person of the company (`us_…`), or `me`.
    #[serde(default)]
    pub assignee_id: Option<String>,
    /// What it is about: a document (`doc_…`), talk thread (`thr_…`), message (`msg_…`),
    /// proof for approval (`apr_…`), complaint (`cmp_…`) or request for a quote (`rfq_…`) the
    /// company is a party to.
    #[serde(default)]
    pub about: Option<String>,
}

/// A change of a task: only what is sent changes (`null` clears).
#[derive(Debug, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskPatch {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 4000)]
    pub description: Option<Option<String>>,
    #[serde(default)]
    pub status: Option<TaskStatus>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = Date)]
    pub due_on: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = "^tem_[0-9a-z]{26}$")]
    pub team_id: Option<Option<String>>,
    /// `us_…` or `me`; `null`: nobody in particular (the team's).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub assignee_id: Option<Option<String>>,
}

/// A comment on a task.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentIn {
    #[schema(min_length = 1, max_length = 4000)]
    pub text: String,
}

/// A team as a task names it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamRef {
    pub id: TeamId,
    pub name: String,
}

/// What a task is about, with its name as the creator saw it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AboutOut {
    #[serde(rename = "type")]
    pub kind: AboutType,
    pub id: String,
    pub label: Option<String>,
    /// The talk thread of a message (and of a thread: itself).
    pub thread_id: Option<String>,
}

/// Who made a task: a person (by their name now) or an API key.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatorOut {
    pub user_id: Option<UserId>,
    pub name: Option<String>,
    pub api_key_id: Option<ApiKeyId>,
}

/// A comment, with its author's name now.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentOut {
    pub id: TaskCommentId,
    pub user: Person,
    pub text: String,
    pub created_at: Time,
}

/// A task.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskOut {
    pub id: TaskId,
    pub title: String,
    pub description: Option<String>,
    pub status: TaskStatus,
    #[schema(format = Date)]
    pub due_on: Option<String>,
    /// Open or in progress, and due before today.
    pub overdue: bool,
    pub team: Option<TeamRef>,
    pub assignee: Option<Person>,
    pub about: Option<AboutOut>,
    pub created_by: CreatorOut,
    pub comment_count: u64,
    /// Oldest first; only in the answers about one task (empty in lists).
    pub comments: Vec<CommentOut>,
    pub created_at: Time,
    pub updated_at: Time,
    /// When it was done or cancelled.
    pub closed_at: Option<Time>,
}

impl TaskOut {
    /// The task as of `today` (`YYYY-MM-DD`), with `comments`.
    #[must_use]
    pub fn of(row: TaskRow, comments: Vec<CommentRow>, today: &str) -> TaskOut {
        let overdue = row.status.is_open() && row.due_on.as_deref().is_some_and(|d| d < today);
        let team = match (row.team_id, row.team_name) {
            (Some(id), Some(name)) => Some(TeamRef { id, name }),
            _ => None,
        };
        let assignee = match (row.assignee_id, row.assignee_name) {
            (Some(id), Some(name)) => Some(Person { id, name }),
            _ => None,
        };
        let about = match (row.about_type, row.about_id) {
            (Some(kind), Some(id)) => Some(AboutOut {
                kind,
                id,
                label: row.about_label,
                thread_id: row.about_thread_id,
            }),
            _ => None,
        };
        TaskOut {
            id: row.id,
            title: row.title,
            description: row.description,
            status: row.status,
            due_on: row.due_on,
            overdue,
            team,
            assignee,
            about,
            created_by: CreatorOut {
                user_id: row.created_by_user_id,
                name: row.created_by_name,
                api_key_id: row.created_by_api_key_id,
            },
            comment_count: row.comment_count,
            comments: comments
                .into_iter()
                .map(|c| CommentOut {
                    id: c.id,
                    user: Person {
                        id: c.user_id,
                        name: c.user_name,
                    },
                    text: c.text,
                    created_at: c.created_at,
                })
                .collect(),
            created_at: row.created_at,
            updated_at: row.updated_at,
            closed_at: row.closed_at,
        }
    }
}

/// A page of tasks, and how many open tasks there are (for the dashboard).
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskList {
    pub data: Vec<TaskOut>,
    pub counts: Counts,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// Which tasks a list shows (all filters together).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskQuery {
    /// `me` (the caller's own) or a person's id (`us_…`).
    pub assignee: Option<String>,
    /// `mine` (the teams the caller is in) or a team's id (`tem_…`).
    pub team: Option<String>,
    /// Only in this status.
    #[param(value_type = Option<TaskStatus>, inline)]
    pub status: Option<String>,
    /// `true`: only open and in-progress tasks.
    #[param(value_type = Option<bool>)]
    pub open: Option<String>,
    /// Only tasks about this document, thread (with its messages), message, approval, complaint
    /// or request for a quote.
    pub about: Option<String>,
    /// Only tasks due on or before this day (`YYYY-MM-DD`).
    #[param(format = Date)]
    pub due_by: Option<String>,
}

/// What the dev endpoint for the cron takes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TasksCronIn {
    /// Only this company's tasks (`co_…`).
    #[serde(default)]
    pub company_id: Option<String>,
    /// Run as of this instant (RFC 3339; default now): its day is the day tasks are due by.
    #[serde(default)]
    pub as_of: Option<String>,
}

/// What the cron did.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct TasksCronOut {
    /// Due tasks told about.
    pub told: u32,
    /// Mails written for them.
    pub mails: u32,
}
