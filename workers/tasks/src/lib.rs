//! The tasks worker: a company's own work items for its teams (departments) and people, with
//! what each is about — a document, a talk thread or message, a proof — comments, and the
//! daily telling of due tasks (a cron). Internal: every row belongs to one company and is read
//! for it only, so the partner of a document a task is about never finds the task
//! (`shared::data::tasks`).
//!
//! [`SERVICE`] is its route table; the handlers live in one module per resource, the mails in
//! [`notices`].

pub mod api;
pub mod notices;
mod tasks;
mod teams;

use shared::permissions::Permission::UsersManage;
use shared::service::route::Sessions;
use shared::service::{Access, Service};

#[cfg(not(target_arch = "wasm32"))]
use {
    api::{
        CommentIn, TaskIn, TaskList, TaskOut, TaskPatch, TaskQuery, TasksCronIn, TasksCronOut,
        TeamIn, TeamList, TeamOut,
    },
    shared::ids::{TaskId, TeamId, UserId},
};

pub use tasks::run_cron;

/// Changing the teams, as changing the people.
const MANAGE: Access = Access::Permission(UsersManage);

/// The tasks worker's endpoints.
pub static SERVICE: Service = Service {
    name: "tasks",
    binding: "TASKS",
    sessions: Sessions::Stateless,
    routes: shared::routes![
        Get "/v1/teams" => teams::list_teams, Access::Caller,
            |d| d.summary("List the company's teams with their members, and its active people (whom a task can be given to)")
                .ok::<TeamList>("the teams by name, and the people");
        Post "/v1/teams" => teams::create_team, MANAGE,
            |d| d.summary("Make a team (department) of the company")
                .body::<TeamIn>()
                .created::<TeamOut>("the team, without members")
                .errors(&[(409, "the company has a team of this name (`name_taken`)")]);
        Patch "/v1/teams/{id}" => teams::rename_team, MANAGE,
            |d| d.summary("Rename a team").path_param::<TeamId>("id")
                .body::<TeamIn>()
                .ok::<TeamOut>("the team")
                .errors(&[(409, "the company has another team of this name (`name_taken`)")]);
        Delete "/v1/teams/{id}" => teams::delete_team, MANAGE,
            |d| d.summary("Delete a team: its tasks stay, without the team").path_param::<TeamId>("id")
                .empty(204, "the team is gone");
        Put "/v1/teams/{id}/members/{user_id}" => teams::add_team_member, MANAGE,
            |d| d.summary("Put an active person of the company into a team")
                .path_param::<TeamId>("id").path_param::<UserId>("user_id")
                .ok::<TeamOut>("the team with its members (the same again if they were in it)");
        Delete "/v1/teams/{id}/members/{user_id}" => teams::remove_team_member, MANAGE,
            |d| d.summary("Take a person out of a team")
                .path_param::<TeamId>("id").path_param::<UserId>("user_id")
                .ok::<TeamOut>("the team with its members (the same if they were not in it)");
        Post "/v1/tasks" => tasks::create_task, Access::Caller,
            |d| d.summary("Make a task for a team or a person of the company, optionally about a document, thread, message or proof; who it is given to is told")
                .body::<TaskIn>()
                .created::<TaskOut>("the task, open");
        Get "/v1/tasks" => tasks::list_tasks, Access::Caller,
            |d| d.summary("List the company's tasks, newest first, with the counts of open ones (the caller's, their teams', overdue)")
                .query::<TaskQuery>().query::<shared::service::page::Paging>()
                .ok::<TaskList>("a page of tasks and the counts");
        Get "/v1/tasks/{id}" => tasks::get_task, Access::Caller,
            |d| d.summary("Read a task with its comments").path_param::<TaskId>("id")
                .ok::<TaskOut>("the task with its comments, oldest first");
        Patch "/v1/tasks/{id}" => tasks::update_task, Access::Caller,
            |d| d.summary("Change a task: title, description, status, due date, team, assignee (who it is given to anew is told)")
                .path_param::<TaskId>("id")
                .body::<TaskPatch>()
                .ok::<TaskOut>("the task with its comments");
        Post "/v1/tasks/{id}/comments" => tasks::comment_task, Access::Person,
            |d| d.summary("Comment on a task").path_param::<TaskId>("id")
                .body::<CommentIn>()
                .created::<TaskOut>("the task with its comments, the new one last");
        Post "/v1/dev/tasks/cron" => tasks::dev_tasks_cron, Access::Dev,
            |d| d.summary("Tell due tasks now, as of `as_of` (local stack only; crons do not fire locally)")
                .body::<TasksCronIn>().ok::<TasksCronOut>("what it did");
    ],
};

#[cfg(target_arch = "wasm32")]
mod entry {
    use shared::edge;
    use worker::{event, Context, Env, Request, Response, ScheduleContext, ScheduledEvent};

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
        edge::serve(req, env, ctx, &super::SERVICE).await
    }

    /// Due tasks, on the cron of wrangler.toml.
    #[event(scheduled)]
    async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
        let outcome = match edge::platform(&env, |_| ()) {
            Ok(p) => {
                let now = p.clock.now();
                crate::tasks::run_cron(&p, now, None).await
            }
            Err(e) => Err(e),
        };
        match outcome {
            Ok(out) => shared::service::log_info(&format!(
                "tasks cron: {} due tasks told, {} mails",
                out.told, out.mails
            )),
            Err(e) => edge::log_failure("tasks cron", &e),
        }
    }
}
