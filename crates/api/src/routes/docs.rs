//! `/docs`: a browsable API reference (Swagger UI) rendered from `/openapi.json`.
//!
//! Its assets are compiled into the binary (utoipa-swagger-ui's `vendored` feature takes the
//! Swagger UI release from a crates.io package, so neither the build nor the page downloads
//! anything), and the online validator badge, the one thing Swagger UI would fetch from
//! elsewhere, is turned off: the page works with no network beyond this service.
//!
//! The pages are in the OpenAPI document too ([`Pages`]), with the exact list of assets; a
//! name that is not one answers the API's problem+json 404 (Swagger UI's own is bodyless).

use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use utoipa::Modify;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::{ResponseBuilder, ResponsesBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{Required, Response as DocumentedResponse};
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::error::ApiError;
use crate::routes::openapi::problems::{AssetErrors, BaseErrors};
use crate::state::AppState;

/// Where the page is served (`/docs` redirects to `/docs/`).
pub const DOCS_PATH: &str = "/docs";

/// Every file of the vendored Swagger UI release, served under `/docs/`.
pub const ASSETS: [&str; 18] = [
    "favicon-16x16.png",
    "favicon-32x32.png",
    "index.css",
    "index.html",
    "oauth2-redirect.html",
    "swagger-initializer.js",
    "swagger-ui-bundle.js",
    "swagger-ui-bundle.js.map",
    "swagger-ui-es-bundle-core.js",
    "swagger-ui-es-bundle-core.js.map",
    "swagger-ui-es-bundle.js",
    "swagger-ui-es-bundle.js.map",
    "swagger-ui-standalone-preset.js",
    "swagger-ui-standalone-preset.js.map",
    "swagger-ui.css",
    "swagger-ui.css.map",
    "swagger-ui.js",
    "swagger-ui.js.map",
];

fn swagger_config() -> Config<'static> {
    Config::new(["/openapi.json"])
        .validator_url("none")
        .display_operation_id(true)
        .display_request_duration(true)
}

pub fn router() -> Router<AppState> {
    Router::from(SwaggerUi::new(DOCS_PATH).config(swagger_config()))
        .layer(middleware::map_response(problem_for_unknown_asset))
}

/// Swagger UI answers an unknown asset with an empty 404; the API answers with its problem.
async fn problem_for_unknown_asset(response: Response) -> Response {
    if response.status() == StatusCode::NOT_FOUND {
        return ApiError::RouteNotFound.into_response();
    }
    response
}

/// The media type each asset is served with (by its extension, as Swagger UI serves them).
fn media_type(asset: &str) -> &'static str {
    match asset.rsplit('.').next() {
        Some("png") => "image/png",
        Some("css") => "text/css",
        Some("html") => "text/html",
        Some("js") => "text/javascript",
        _ => "text/plain",
    }
}

fn text() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn ok(description: &str, media_types: &[&str]) -> DocumentedResponse {
    media_types
        .iter()
        .fold(
            ResponseBuilder::new().description(description),
            |r, media| r.content(*media, ContentBuilder::new().schema(Some(text())).build()),
        )
        .build()
}

/// Adds `/docs`, `/docs/` and `/docs/{asset}` to the document.
pub struct Pages;

impl Modify for Pages {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let operation = |id: &str, description: &str| {
            OperationBuilder::new()
                .tag("documentation")
                .operation_id(Some(id))
                .description(Some(description))
        };
        let redirect = ResponseBuilder::new()
            .description("To the page, `/docs/`")
            .header(
                "Location",
                HeaderBuilder::new()
                    .schema(text().enum_values(Some([format!("{DOCS_PATH}/")])))
                    .build(),
            )
            .build();
        let paths = &mut openapi.paths;
        paths.add_path_operation(
            DOCS_PATH,
            vec![HttpMethod::Get],
            operation("docs", "The API reference: redirects to `/docs/`").responses(
                ResponsesBuilder::new()
                    .response("303", redirect)
                    .responses_from_into_responses::<BaseErrors>(),
            ),
        );
        paths.add_path_operation(
            format!("{DOCS_PATH}/"),
            vec![HttpMethod::Get],
            operation(
                "docs_page",
                "The API reference (Swagger UI) of `/openapi.json`; needs no network beyond \
                 this service",
            )
            .responses(
                ResponsesBuilder::new()
                    .response("200", ok("The page", &["text/html"]))
                    .responses_from_into_responses::<BaseErrors>(),
            ),
        );
        let mut media_types: Vec<&str> = ASSETS.iter().map(|a| media_type(a)).collect();
        media_types.sort_unstable();
        media_types.dedup();
        let asset = ParameterBuilder::new()
            .name("asset")
            .parameter_in(ParameterIn::Path)
            .required(Required::True)
            .description(Some("A file of the page"))
            .schema(Some(text().enum_values(Some(ASSETS))));
        paths.add_path_operation(
            format!("{DOCS_PATH}/{{asset}}"),
            vec![HttpMethod::Get],
            operation(
                "docs_asset",
                "A file the page loads (script, style sheet, icon)",
            )
            .parameter(asset)
            .responses(
                ResponsesBuilder::new()
                    .response(
                        "200",
                        ok(
                            "The file, with the media type of its extension \
                                 (source maps, `.map`: `text/plain`)",
                            &media_types,
                        ),
                    )
                    .responses_from_into_responses::<AssetErrors>(),
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn every_listed_asset_is_served() {
        let config = Arc::new(swagger_config());
        for asset in ASSETS {
            let file = utoipa_swagger_ui::serve(asset, config.clone())
                .expect("served")
                .unwrap_or_else(|| panic!("{asset} is not in the Swagger UI release"));
            assert_eq!(file.content_type, media_type(asset), "{asset}");
        }
    }
}
