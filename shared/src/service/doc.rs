//! The OpenAPI 3.1 document, built from the route tables (native only: workers never carry it).
//!
//! Each route's `doc` fills in a [`Doc`]: its summary, path ids, query and header parameters,
//! request body, answers and the statuses only it knows. The statuses every endpoint of its
//! kind can answer are added here from the route itself: 500 everywhere (a platform failure),
//! 401 (and 403) where credentials are needed, 404 where the path names a resource or the route
//! is dev-only, 400/413/415/422 for a JSON body, 422 for query parameters. Every error answer is an RFC 9457 problem document.

use std::collections::BTreeMap;

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::{RequestBody, RequestBodyBuilder};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ComponentsBuilder, ObjectBuilder, Type};
use utoipa::openapi::{
    InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref, RefOr, Required, Schema, ServerBuilder,
};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use super::{Access, Method, Route, Service};
use crate::error::Problem;

type Schemas = Vec<(String, RefOr<Schema>)>;

/// The documentation of one endpoint, filled in by its route's `doc`.
#[derive(Default)]
pub struct Doc {
    hidden: bool,
    summary: String,
    description: Option<String>,
    path_params: BTreeMap<String, RefOr<Schema>>,
    params: Vec<Parameter>,
    body: Option<RequestBody>,
    json_body: bool,
    responses: BTreeMap<u16, Response>,
    schemas: Schemas,
}

/// A `$ref` to a registered schema.
#[must_use]
pub fn schema_ref<T: ToSchema>() -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(T::name()))
}

fn string_schema() -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(Type::String).into()
}

impl Doc {
    /// Leaves the route out of the document (the HEAD twin of a documented GET).
    #[must_use]
    pub fn hidden(mut self) -> Doc {
        self.hidden = true;
        self
    }

    /// The one-line summary.
    #[must_use]
    pub fn summary(mut self, text: &str) -> Doc {
        self.summary = text.to_owned();
        self
    }

    /// A longer description (Markdown).
    #[must_use]
    pub fn describe(mut self, text: &str) -> Doc {
        self.description = Some(text.to_owned());
        self
    }

    /// The schema of the path parameter `name` (an id type, say); others are plain strings.
    #[must_use]
    pub fn path_param<T: PartialSchema>(mut self, name: &str) -> Doc {
        self.path_params.insert(name.to_owned(), T::schema());
        self
    }

    /// The query parameters of `Q`.
    #[must_use]
    pub fn query<Q: IntoParams>(mut self) -> Doc {
        self.params
            .extend(Q::into_params(|| Some(ParameterIn::Query)));
        self
    }

    /// A request header.
    #[must_use]
    pub fn header(mut self, name: &str, required: bool, description: &str) -> Doc {
        self.params.push(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Header)
                .required(if required {
                    Required::True
                } else {
                    Required::False
                })
                .description(Some(description))
                .schema(Some(string_schema()))
                .build(),
        );
        self
    }

    /// A required JSON body of type `T`.
    #[must_use]
    pub fn body<T: ToSchema>(self) -> Doc {
        self.json::<T>(true)
    }

    /// A JSON body of type `T` that may be left out.
    #[must_use]
    pub fn optional_body<T: ToSchema>(self) -> Doc {
        self.json::<T>(false)
    }

    fn json<T: ToSchema>(mut self, required: bool) -> Doc {
        register::<T>(&mut self.schemas);
        self.body = Some(
            RequestBodyBuilder::new()
                .required(Some(if required {
                    Required::True
                } else {
                    Required::False
                }))
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(schema_ref::<T>()))
                        .build(),
                )
                .build(),
        );
        self.json_body = true;
        self
    }

    /// A raw file as the body (any media type; `Content-Length` required).
    #[must_use]
    pub fn file_body(mut self, description: &str) -> Doc {
        self.body = Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .description(Some(description))
                .content(
                    "application/octet-stream",
                    ContentBuilder::new()
                        .schema(Some(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .content_media_type("application/octet-stream"),
                        ))
                        .build(),
                )
                .build(),
        );
        self
    }

    /// Adds `multipart/form-data` with these text fields and a file field `file` as another
    /// way to send the body.
    #[must_use]
    pub fn form_body(mut self, fields: &[(&str, bool)]) -> Doc {
        let mut object = ObjectBuilder::new();
        for (name, required) in fields {
            object = object.property(*name, ObjectBuilder::new().schema_type(Type::String));
            if *required {
                object = object.required(*name);
            }
        }
        object = object
            .property(
                "file",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .content_media_type("application/octet-stream"),
            )
            .required("file");
        let content = ContentBuilder::new().schema(Some(object)).build();
        let body = self.body.take().unwrap_or_else(|| {
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .build()
        });
        let mut body = body;
        body.content
            .insert("multipart/form-data".to_owned(), RefOr::T(content));
        self.body = Some(body);
        self
    }

    /// A JSON answer of type `T` with this status.
    #[must_use]
    pub fn answer<T: ToSchema>(mut self, status: u16, description: &str) -> Doc {
        register::<T>(&mut self.schemas);
        self.responses.insert(
            status,
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(schema_ref::<T>()))
                        .build(),
                )
                .build(),
        );
        self
    }

    /// A text answer of a media type (a vCard, say).
    #[must_use]
    pub fn text(self, status: u16, media_type: &str, description: &str) -> Doc {
        self.texts(status, &[media_type], description)
    }

    /// A text answer in one of several media types (as the request asks).
    #[must_use]
    pub fn texts(mut self, status: u16, media_types: &[&str], description: &str) -> Doc {
        let mut response = ResponseBuilder::new().description(description);
        for media_type in media_types {
            response = response.content(
                *media_type,
                ContentBuilder::new().schema(Some(string_schema())).build(),
            );
        }
        self.responses.insert(status, response.build());
        self
    }

    /// 200 with a `T`.
    #[must_use]
    pub fn ok<T: ToSchema>(self, description: &str) -> Doc {
        self.answer::<T>(200, description)
    }

    /// 201 with a `T` and its `Location`.
    #[must_use]
    pub fn created<T: ToSchema>(self, description: &str) -> Doc {
        self.answer::<T>(201, description).answer_header(
            201,
            "location",
            "where the new resource is",
        )
    }

    /// An answer without a body.
    #[must_use]
    pub fn empty(mut self, status: u16, description: &str) -> Doc {
        self.responses.insert(
            status,
            ResponseBuilder::new().description(description).build(),
        );
        self
    }

    /// A header on the answer with this status.
    #[must_use]
    pub fn answer_header(mut self, status: u16, name: &str, description: &str) -> Doc {
        if let Some(response) = self.responses.get_mut(&status) {
            response.headers.insert(
                name.to_owned(),
                RefOr::T(
                    HeaderBuilder::new()
                        .schema(Some(string_schema()))
                        .description(Some(description))
                        .build(),
                ),
            );
        }
        self
    }

    /// A stored file as the answer: 200 (or 206 for a `Range`), 304 for a matching
    /// `If-None-Match`, 416 for a range outside it.
    #[must_use]
    pub fn file(mut self, description: &str) -> Doc {
        let bytes = || {
            ContentBuilder::new()
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .content_media_type("application/octet-stream"),
                ))
                .build()
        };
        for (status, what) in [(200, description), (206, "the requested byte range")] {
            let mut response = ResponseBuilder::new()
                .description(what)
                .content("*/*", bytes());
            for (name, text) in [
                ("etag", "the file's SHA-256, quoted"),
                ("content-disposition", "the file name (RFC 6266)"),
                ("accept-ranges", "bytes"),
            ] {
                response = response.header(
                    name,
                    HeaderBuilder::new()
                        .schema(Some(string_schema()))
                        .description(Some(text))
                        .build(),
                );
            }
            self.responses.insert(status, response.build());
        }
        self = self.empty(304, "the file is unchanged (If-None-Match)");
        self.errors(&[(416, "the range is outside the file")])
    }

    /// Error answers only this endpoint has (a problem document each).
    #[must_use]
    pub fn errors(mut self, statuses: &[(u16, &str)]) -> Doc {
        for (status, description) in statuses {
            self.responses
                .entry(*status)
                .or_insert_with(|| problem_response(description));
        }
        self
    }

    /// Registers a schema a parameter or a hand-built body refers to.
    #[must_use]
    pub fn schema<T: ToSchema>(mut self) -> Doc {
        register::<T>(&mut self.schemas);
        self
    }
}

fn register<T: ToSchema>(out: &mut Schemas) {
    out.push((T::name().into_owned(), T::schema()));
    T::schemas(out);
}

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(schema_ref::<Problem>()))
                .build(),
        )
        .build()
}

fn http_method(method: Method) -> Option<HttpMethod> {
    Some(match method {
        Method::Get => HttpMethod::Get,
        Method::Head => HttpMethod::Head,
        Method::Post => HttpMethod::Post,
        Method::Put => HttpMethod::Put,
        Method::Patch => HttpMethod::Patch,
        Method::Delete => HttpMethod::Delete,
        Method::Options => HttpMethod::Options,
        Method::Other => return None,
    })
}

/// The statuses the route itself implies, with their meaning.
fn implied(route: &Route, doc: &Doc) -> Vec<(u16, &'static str)> {
    let mut out = vec![(
        500,
        "the platform failed (storage or database unavailable): nothing half-done is kept, \
         and asking again is safe (with the same Idempotency-Key where the endpoint takes one)",
    )];
    if route.access.authenticated() {
        out.push((401, "no credentials, or they are invalid or expired"));
        if route.access != Access::Token && route.access != Access::Caller {
            out.push((403, "the caller lacks the permission or is not a person"));
        }
    }
    if route.path.contains('{') || route.access == Access::Dev {
        out.push((404, "not found, or not visible to the caller's company"));
    }
    if doc.json_body {
        out.push((400, "the body is not JSON"));
        out.push((413, "the body is too large"));
        out.push((415, "the body is not application/json"));
        out.push((422, "a field is missing or invalid (`field` names it)"));
    }
    if doc
        .params
        .iter()
        .any(|p| p.parameter_in == ParameterIn::Query)
    {
        out.push((422, "a query parameter is invalid (`field` names it)"));
    }
    out
}

/// The operation of one route, unless it is hidden.
fn operation(service: &Service, route: &Route, schemas: &mut Schemas) -> Option<Operation> {
    let mut doc = (route.doc)(Doc::default());
    if doc.hidden {
        return None;
    }
    let implied = implied(route, &doc);
    doc = doc.errors(&implied);
    schemas.append(&mut doc.schemas);
    let mut op = OperationBuilder::new()
        .summary(Some(doc.summary.clone()))
        .description(doc.description.clone())
        .tag(service.name)
        .operation_id(Some(operation_id(route)));
    for segment in route.path.split('/') {
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let schema = doc
                .path_params
                .get(name)
                .cloned()
                .unwrap_or_else(string_schema);
            op = op.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(schema)),
            );
        }
    }
    for param in doc.params {
        op = op.parameter(param);
    }
    op = op.request_body(doc.body);
    for (status, response) in doc.responses {
        op = op.response(status.to_string(), response);
    }
    let mut op = op.build();
    let mut extensions = utoipa::openapi::extensions::Extensions::default();
    extensions.insert("x-tradepost-worker".to_owned(), service.name.into());
    let access = match route.access {
        Access::Public => "public".to_owned(),
        Access::Dev => "dev".to_owned(),
        Access::Token | Access::Caller => "caller".to_owned(),
        Access::Person => "person".to_owned(),
        other => {
            let names: Vec<&str> = other.permissions().iter().map(|p| p.as_str()).collect();
            let who = if other.person() { "person with " } else { "" };
            let when = if matches!(other, Access::OnResource(_)) {
                ", checked once the resource is found"
            } else {
                ""
            };
            format!("{who}{}{when}", names.join(" | "))
        }
    };
    extensions.insert("x-tradepost-access".to_owned(), access.into());
    op.extensions = Some(extensions);
    Some(op)
}

/// A route's operation id: its handler's name (unique across the API, checked by a test).
#[must_use]
pub fn operation_id(route: &Route) -> String {
    route
        .name
        .rsplit("::")
        .next()
        .unwrap_or(route.name)
        .trim()
        .to_owned()
}

/// The whole API's document, from every worker's route table.
///
/// # Errors
/// The names given to two different schemas (each type's schema name must be its own).
pub fn openapi(services: &[&Service]) -> Result<OpenApi, String> {
    let mut paths = PathsBuilder::new();
    let mut schemas: Schemas = Vec::new();
    register::<Problem>(&mut schemas);
    for service in services {
        for route in service.routes {
            let Some(method) = http_method(route.method) else {
                continue;
            };
            let Some(op) = operation(service, route, &mut schemas) else {
                continue;
            };
            paths = paths.path(route.path, PathItem::new(method, op));
        }
    }
    let mut named: BTreeMap<String, String> = BTreeMap::new();
    let mut clashes = Vec::new();
    for (name, schema) in &schemas {
        let text = serde_json::to_string(schema).unwrap_or_default();
        match named.get(name) {
            Some(other) if *other != text => clashes.push(name.clone()),
            _ => {
                named.insert(name.clone(), text);
            }
        }
    }
    if !clashes.is_empty() {
        clashes.sort();
        clashes.dedup();
        return Err(format!("two types share the schema names {clashes:?}"));
    }
    Ok(OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Tradepost API")
                .version("1")
                .description(Some(
                    "The B2B partner exchange: accounts, relationships, company mailboxes, \
                     approvals, talk and webhooks. Errors are RFC 9457 problem documents with \
                     a stable `code` and, for bad input, the `field` at fault. Authenticate \
                     with `Authorization: Bearer <access token or API key>`.",
                ))
                .build(),
        )
        .servers(Some(vec![ServerBuilder::new().url("/").build()]))
        .paths(paths.build())
        .components(Some(
            ComponentsBuilder::new().schemas_from_iter(schemas).build(),
        ))
        .build())
}
