// The OpenAPI 3.1 document of `llmbench serve` (GET /openapi.json). Kept beside the server and
// checked against it by a test that calls every operation it lists
// (tests/integration/test_serve.cpp).

#include "llmbench/server/serve_server.hpp"

namespace llmbench::server {

namespace {

constexpr const char* k_openapi = R"json({
  "openapi": "3.1.0",
  "info": {
    "title": "llmbench serve",
    "version": "1",
    "description": "The benchmark service of llmbench (docs/serve.md): submit suites to run, follow them, read the run history. Errors are RFC 9457 problem documents. With a token, every operation but /health wants `Authorization: Bearer TOKEN`."
  },
  "components": {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    "parameters": {
      "run": {"name": "id", "in": "path", "required": true, "description": "A run id, a unique prefix of one, `latest`, or a baseline name", "schema": {"type": "string"}}
    },
    "responses": {
      "problem": {"description": "A problem document", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    },
    "schemas": {
      "Status": {"type": "string", "enum": ["queued", "running", "completed", "failed", "interrupted", "cancelled"]},
      "Progress": {
        "type": "object",
        "required": ["done", "total", "errors", "in_flight", "eta_s", "stage", "ttft_p50_ms", "ttft_p95_ms"],
        "properties": {
          "done": {"type": "integer"}, "total": {"type": "integer", "description": "0 when a duration decides"},
          "errors": {"type": "integer"}, "in_flight": {"type": "integer"},
          "eta_s": {"type": "number", "description": "Seconds to go; negative when unknown"},
          "stage": {"type": "string"}, "ttft_p50_ms": {"type": "number"}, "ttft_p95_ms": {"type": "number"}
        }
      },
      "RunProgress": {
        "type": "object",
        "required": ["id", "status", "progress"],
        "properties": {
          "id": {"type": "string"}, "status": {"$ref": "#/components/schemas/Status"},
          "progress": {"type": ["object", "null"], "description": "A Progress while a worker runs it, else null"}
        }
      },
      "Accepted": {
        "type": "object",
        "required": ["id", "status", "location", "warnings"],
        "properties": {
          "id": {"type": "string"}, "status": {"type": "string", "enum": ["queued"]},
          "location": {"type": "string"},
          "warnings": {"type": "array", "items": {"$ref": "#/components/schemas/Diagnostic"}}
        }
      },
      "Diagnostic": {
        "type": "object",
        "required": ["line", "column", "message", "text"],
        "properties": {
          "line": {"type": "integer"}, "column": {"type": "integer"}, "message": {"type": "string"},
          "text": {"type": "string", "description": "As `llmbench validate` prints it: submitted.toml:LINE:COL: message"}
        }
      },
      "Invalid": {
        "type": "object",
        "required": ["type", "title", "status", "detail", "errors", "warnings"],
        "properties": {
          "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
          "errors": {"type": "array", "items": {"$ref": "#/components/schemas/Diagnostic"}},
          "warnings": {"type": "array", "items": {"$ref": "#/components/schemas/Diagnostic"}},
          "suite_toml": {"type": "string", "description": "For a JSON body: the TOML the places refer to"}
        }
      },
      "Cancel": {
        "type": "object",
        "required": ["id", "status"],
        "properties": {"id": {"type": "string"}, "status": {"type": "string", "enum": ["cancelled", "cancelling"]}}
      },
      "ShortForm": {
        "type": "object",
        "required": ["target", "prompts"],
        "properties": {
          "name": {"type": "string"}, "target": {"type": "object", "description": "A [[targets]] table (name defaults to \"target\")"},
          "model": {"type": "string"}, "prompts": {"type": "array", "items": {"type": "string"}},
          "load": {"type": "object", "description": "A [load] table (default: one request per prompt, one at a time)"}
        }
      },
      "Problem": {
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "properties": {
          "type": {"type": "string"}, "title": {"type": "string"},
          "status": {"type": "integer"}, "detail": {"type": "string"}
        }
      },
      "Health": {
        "type": "object",
        "required": ["status", "version", "db"],
        "properties": {"status": {"type": "string", "enum": ["ok", "degraded"]}, "version": {"type": "string"}, "db": {"type": "string"}}
      },
      "RunSummary": {
        "type": "object",
        "required": ["id", "suite", "status", "started_at", "ended_at", "host", "llmbench_version", "git_commit", "tags", "requests", "errors", "warmup"],
        "properties": {
          "id": {"type": "string"}, "suite": {"type": "string"},
          "status": {"$ref": "#/components/schemas/Status"},
          "started_at": {"type": "string", "format": "date-time", "description": "When it started (when it was submitted, while queued)"},
          "ended_at": {"type": ["string", "null"], "format": "date-time"},
          "host": {"type": "string"}, "llmbench_version": {"type": "string"},
          "git_commit": {"type": ["string", "null"]},
          "tags": {"type": "object"},
          "requests": {"type": "integer"}, "errors": {"type": "integer"}, "warmup": {"type": "integer"}
        }
      },
      "RunPage": {
        "type": "object",
        "required": ["runs", "next_cursor"],
        "properties": {
          "runs": {"type": "array", "items": {"$ref": "#/components/schemas/RunSummary"}},
          "next_cursor": {"type": ["string", "null"], "description": "Pass as cursor for the next (older) page; null on the last"}
        }
      },
      "Run": {
        "type": "object",
        "required": ["id", "suite", "status", "started_at", "ended_at", "host", "llmbench_version", "git_commit", "tags", "report"],
        "properties": {
          "id": {"type": "string"}, "suite": {"type": "string"}, "status": {"$ref": "#/components/schemas/Status"},
          "started_at": {"type": "string"}, "ended_at": {"type": ["string", "null"]},
          "progress": {"oneOf": [{"$ref": "#/components/schemas/Progress"}, {"type": "null"}], "description": "Present while queued or running"},
          "host": {"type": "string"}, "llmbench_version": {"type": "string"},
          "git_commit": {"type": ["string", "null"]}, "tags": {"type": "object"},
          "report": {"type": "object", "description": "The run's report.json (docs/metrics.md)"}
        }
      },
      "RequestRow": {
        "type": "object",
        "required": ["seq", "attempt", "target", "prompt_id", "phase", "warmup", "t_send_ns", "ttfb_ns", "ttft_ns", "e2e_ns", "status_code", "input_tokens", "cached_input_tokens", "output_tokens", "reasoning_tokens", "error_class", "error_message", "token_source", "finish_reason", "cost_usd", "streamed", "replayed"],
        "properties": {
          "seq": {"type": "integer"}, "attempt": {"type": "integer"},
          "target": {"type": "string"}, "prompt_id": {"type": "string"}, "phase": {"type": "string"},
          "warmup": {"type": "boolean"},
          "t_send_ns": {"type": ["integer", "null"]}, "ttfb_ns": {"type": ["integer", "null"]},
          "ttft_ns": {"type": ["integer", "null"]}, "e2e_ns": {"type": ["integer", "null"]},
          "status_code": {"type": ["integer", "null"]},
          "input_tokens": {"type": ["integer", "null"]}, "cached_input_tokens": {"type": ["integer", "null"]},
          "output_tokens": {"type": ["integer", "null"]}, "reasoning_tokens": {"type": ["integer", "null"]},
          "error_class": {"type": ["string", "null"]}, "error_message": {"type": ["string", "null"]},
          "token_source": {"type": ["string", "null"]}, "finish_reason": {"type": ["string", "null"]},
          "cost_usd": {"type": ["number", "null"]},
          "streamed": {"type": "boolean"}, "replayed": {"type": "boolean"}
        }
      },
      "RequestPage": {
        "type": "object",
        "required": ["requests", "next_cursor"],
        "properties": {
          "requests": {"type": "array", "items": {"$ref": "#/components/schemas/RequestRow"}},
          "next_cursor": {"type": ["string", "null"], "description": "SEQ.ATTEMPT of the last row; null on the last page"}
        }
      },
      "Diff": {
        "type": "object",
        "required": ["gates_failed", "regressed", "diff"],
        "properties": {
          "gates_failed": {"type": "boolean"}, "regressed": {"type": "boolean"},
          "diff": {"type": "object", "description": "What `llmbench report diff --format json` prints"}
        }
      },
      "Baselines": {
        "type": "object",
        "required": ["baselines"],
        "properties": {
          "baselines": {"type": "array", "items": {"type": "object", "required": ["name", "run_id", "saved_at"], "properties": {"name": {"type": "string"}, "run_id": {"type": "string"}, "saved_at": {"type": "string"}}}}
        }
      }
    }
  },
  "security": [{"bearer": []}],
  "paths": {
    "/health": {
      "get": {
        "operationId": "health", "security": [],
        "summary": "Whether the service and its database answer",
        "responses": {
          "200": {"description": "Up", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}},
          "503": {"description": "The database does not answer", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}
        }
      }
    },
    "/metrics": {
      "get": {
        "operationId": "metrics", "summary": "Prometheus text format: runs by status, queue depth, runs in progress, HTTP requests",
        "responses": {"200": {"description": "Metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}, "401": {"$ref": "#/components/responses/problem"}}
      }
    },
    "/openapi.json": {
      "get": {
        "operationId": "openapi", "summary": "This document",
        "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}, "401": {"$ref": "#/components/responses/problem"}}
      }
    },
    "/api/v1/runs": {
      "get": {
        "operationId": "listRuns", "summary": "Runs, newest first, a page at a time",
        "parameters": [
          {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
          {"name": "cursor", "in": "query", "schema": {"type": "string"}, "description": "next_cursor of the previous page"},
          {"name": "status", "in": "query", "schema": {"$ref": "#/components/schemas/Status"}},
          {"name": "suite", "in": "query", "schema": {"type": "string"}, "description": "The suite's name"},
          {"name": "tag", "in": "query", "schema": {"type": "string"}, "description": "KEY=VALUE: runs tagged so (--tag)"}
        ],
        "responses": {
          "200": {"description": "A page", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RunPage"}}}},
          "400": {"$ref": "#/components/responses/problem"}, "401": {"$ref": "#/components/responses/problem"}
        }
      },
      "post": {
        "operationId": "submitRun", "summary": "Queue a suite to run: validated as `llmbench validate` does",
        "parameters": [{"name": "tag", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}, "style": "form", "explode": true, "description": "KEY=VALUE stored with the run (as run --tag)"}],
        "requestBody": {
          "required": true,
          "content": {
            "application/toml": {"schema": {"type": "string"}, "description": "A suite file's text"},
            "application/json": {
              "schema": {"oneOf": [{"$ref": "#/components/schemas/ShortForm"}, {"type": "object", "description": "A whole suite: its tables as objects"}]},
              "example": {"name": "openapi-walk", "target": {"provider": "mock", "mock": {"ttft": "5ms", "itl": "1ms", "output_tokens": 4}}, "prompts": ["hello", "world"], "load": {"mode": "concurrency", "concurrency": 1, "requests": 400}}
            }
          }
        },
        "responses": {
          "202": {"description": "Queued; Location names the run", "headers": {"Location": {"schema": {"type": "string"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}}},
          "400": {"$ref": "#/components/responses/problem"}, "401": {"$ref": "#/components/responses/problem"},
          "413": {"description": "The body is larger than the service takes (--max-body)", "content": {"application/json": {"schema": {"type": "object"}}}},
          "415": {"$ref": "#/components/responses/problem"},
          "422": {"description": "The suite has errors (with their places); nothing was queued", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Invalid"}}}}
        }
      }
    },
    "/api/v1/runs/{id}": {
      "get": {
        "operationId": "getRun", "summary": "One run: status, timing, its report",
        "parameters": [{"$ref": "#/components/parameters/run"}],
        "responses": {
          "200": {"description": "The run", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Run"}}}},
          "401": {"$ref": "#/components/responses/problem"}, "404": {"$ref": "#/components/responses/problem"}
        }
      },
      "delete": {
        "operationId": "deleteRun", "summary": "Cancel a queued or running run (what finished is kept), or delete a finished one",
        "parameters": [{"$ref": "#/components/parameters/run"}],
        "responses": {
          "200": {"description": "It was queued and is now cancelled", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Cancel"}}}},
          "202": {"description": "It is running and is being cancelled", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Cancel"}}}},
          "204": {"description": "It had finished and is now deleted, with all its rows"},
          "401": {"$ref": "#/components/responses/problem"}, "404": {"$ref": "#/components/responses/problem"},
          "409": {"$ref": "#/components/responses/problem"}
        }
      }
    },
    "/api/v1/runs/{id}/progress": {
      "get": {
        "operationId": "getRunProgress", "summary": "A run's status and live progress (cheap enough to poll)",
        "parameters": [{"$ref": "#/components/parameters/run"}],
        "responses": {
          "200": {"description": "Status and progress", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RunProgress"}}}},
          "401": {"$ref": "#/components/responses/problem"}, "404": {"$ref": "#/components/responses/problem"}
        }
      }
    },
    "/api/v1/runs/{id}/requests": {
      "get": {
        "operationId": "listRequests", "summary": "A run's requests (every attempt), in order, a page at a time",
        "parameters": [
          {"$ref": "#/components/parameters/run"},
          {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
          {"name": "cursor", "in": "query", "schema": {"type": "string"}, "description": "next_cursor of the previous page (SEQ.ATTEMPT)"}
        ],
        "responses": {
          "200": {"description": "A page", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RequestPage"}}}},
          "400": {"$ref": "#/components/responses/problem"}, "401": {"$ref": "#/components/responses/problem"}, "404": {"$ref": "#/components/responses/problem"}
        }
      }
    },
    "/api/v1/runs/{id}/report.md": {
      "get": {
        "operationId": "reportMarkdown", "summary": "The run's report.md",
        "parameters": [{"$ref": "#/components/parameters/run"}],
        "responses": {"200": {"description": "Markdown", "content": {"text/markdown": {"schema": {"type": "string"}}}}, "401": {"$ref": "#/components/responses/problem"}, "404": {"$ref": "#/components/responses/problem"}}
      }
    },
    "/api/v1/runs/{id}/report.html": {
      "get": {
        "operationId": "reportHtml", "summary": "The run's report.html (self-contained, charts inline)",
        "parameters": [{"$ref": "#/components/parameters/run"}],
        "responses": {"200": {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}}, "401": {"$ref": "#/components/responses/problem"}, "404": {"$ref": "#/components/responses/problem"}}
      }
    },
    "/api/v1/runs/{id}/report.csv": {
      "get": {
        "operationId": "reportCsv", "summary": "The run's summary.csv",
        "parameters": [{"$ref": "#/components/parameters/run"}],
        "responses": {"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}, "401": {"$ref": "#/components/responses/problem"}, "404": {"$ref": "#/components/responses/problem"}}
      }
    },
    "/api/v1/runs/{id}/report.json": {
      "get": {
        "operationId": "reportJson", "summary": "The run's report.json",
        "parameters": [{"$ref": "#/components/parameters/run"}],
        "responses": {"200": {"description": "JSON", "content": {"application/json": {"schema": {"type": "object"}}}}, "401": {"$ref": "#/components/responses/problem"}, "404": {"$ref": "#/components/responses/problem"}}
      }
    },
    "/api/v1/diff": {
      "get": {
        "operationId": "diffRuns", "summary": "`report diff BASE CAND` as JSON, with gate verdicts",
        "parameters": [
          {"name": "base", "in": "query", "required": true, "schema": {"type": "string"}},
          {"name": "cand", "in": "query", "required": true, "schema": {"type": "string"}},
          {"name": "fail_on", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}, "style": "form", "explode": true, "description": "Gates, as --fail-on (e.g. ttft.p95>10%)"},
          {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "html"], "default": "json"}, "description": "html: the diff page (curves overlaid, the table)"}
        ],
        "responses": {
          "200": {"description": "The comparison", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Diff"}}, "text/html": {"schema": {"type": "string"}}}},
          "400": {"$ref": "#/components/responses/problem"}, "401": {"$ref": "#/components/responses/problem"}, "404": {"$ref": "#/components/responses/problem"}
        }
      }
    },
    "/api/v1/baselines": {
      "get": {
        "operationId": "listBaselines", "summary": "Named baselines (--save-baseline)",
        "responses": {
          "200": {"description": "The baselines", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Baselines"}}}},
          "401": {"$ref": "#/components/responses/problem"}
        }
      }
    }
  }
}
)json";

}  // namespace

const std::string& serve_openapi_json() {
  static const std::string text(k_openapi);
  return text;
}

}  // namespace llmbench::server
