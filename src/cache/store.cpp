#include "llmbench/cache/store.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <istream>
#include <ostream>

#include "llmbench/cache/blake3.hpp"
#include "llmbench/cache/jcs.hpp"
#include "llmbench/util/error.hpp"
#include "llmbench/util/hex.hpp"
#include "llmbench/util/json_writer.hpp"

namespace llmbench::cache {

namespace {

constexpr std::int64_t k_hit_batch = 256;

constexpr std::string_view k_schema = R"sql(
CREATE TABLE IF NOT EXISTS requests (
  fingerprint       TEXT PRIMARY KEY,
  provider          TEXT NOT NULL,
  canonical_request TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS responses (
  fingerprint TEXT PRIMARY KEY REFERENCES requests (fingerprint) ON DELETE CASCADE,
  body        TEXT NOT NULL,
  events_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
  fingerprint          TEXT PRIMARY KEY REFERENCES requests (fingerprint) ON DELETE CASCADE,
  created_at_ms        INTEGER NOT NULL,
  hit_count            INTEGER NOT NULL DEFAULT 0,
  model                TEXT NOT NULL DEFAULT '',
  system_fingerprint   TEXT,
  response_duration_ms INTEGER NOT NULL DEFAULT 0,
  response_duration_us INTEGER,
  ttft_ms              INTEGER NOT NULL DEFAULT 0,
  provider             TEXT NOT NULL,
  status               INTEGER NOT NULL
);
)sql";

std::string events_json(const std::vector<RecordedEvent>& events) {
  std::string out = "[";
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    out += fmt::format("[{},", events[i].offset_us);
    util::append_json_string(out, events[i].text);
    out += ']';
  }
  return out + "]";
}

bool read_events(simdjson::dom::parser& parser, const std::string& json,
                 std::vector<RecordedEvent>& out) {
  out.clear();
  simdjson::dom::element doc;
  simdjson::dom::array events;
  if (parser.parse(simdjson::padded_string(json)).get(doc) != simdjson::SUCCESS ||
      doc.get_array().get(events) != simdjson::SUCCESS) {
    return false;
  }
  for (simdjson::dom::element e : events) {
    std::int64_t offset = 0;
    std::string_view text;
    if (e.at(0).get_int64().get(offset) != simdjson::SUCCESS ||
        e.at(1).get_string().get(text) != simdjson::SUCCESS) {
      return false;
    }
    out.push_back({offset, std::string(text)});
  }
  return true;
}

// A second parser: the import's parser holds the document the events come from.
simdjson::dom::parser& parser_for_events() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

constexpr std::string_view k_get_sql =
    "SELECT q.provider, q.canonical_request, r.body, r.events_json, m.model, "
    "m.system_fingerprint, m.ttft_ms, m.response_duration_ms, m.created_at_ms, m.hit_count, "
    "m.status, m.response_duration_us FROM requests q JOIN responses r USING (fingerprint) "
    "JOIN meta m USING (fingerprint) WHERE q.fingerprint = ?";

}  // namespace

struct CacheStore::Reader {
  explicit Reader(store::Database& db) : get(db.prepare(k_get_sql)) {}
  store::Statement get;
  simdjson::dom::parser parser;
};

providers::Recording to_recording(const CachedResponse& c) {
  providers::Recording r;
  r.status = c.status;
  r.stream = !c.events.empty();
  r.body = c.body;
  r.events = c.events;
  r.model = c.model;
  r.system_fingerprint = c.system_fingerprint;
  r.ttft_us = c.ttft_ms * 1000;
  // Milliseconds, rounded down: a stream ends with its last event at the latest.
  r.duration_us = c.duration_us.value_or(c.duration_ms * 1000);
  if (!c.events.empty()) {
    r.duration_us = std::max(r.duration_us, c.events.back().offset_us);
  }
  return r;
}

CachedResponse from_recording(std::string fingerprint, std::string provider,
                              std::string canonical_request, providers::Recording recording,
                              std::int64_t created_at_ms) {
  CachedResponse c;
  c.fingerprint = std::move(fingerprint);
  c.provider = std::move(provider);
  c.canonical_request = std::move(canonical_request);
  c.model = std::move(recording.model);
  c.status = recording.status;
  c.body = std::move(recording.body);
  c.events = std::move(recording.events);
  c.system_fingerprint = std::move(recording.system_fingerprint);
  c.ttft_ms = recording.ttft_us < 0 ? 0 : recording.ttft_us / 1000;
  c.duration_ms = recording.duration_us / 1000;
  c.duration_us = recording.duration_us;
  c.created_at_ms = created_at_ms;
  return c;
}

CacheStore CacheStore::open(const std::string& path) {
  const std::filesystem::path p(path);
  std::error_code ec;
  if (p.has_parent_path()) {
    std::filesystem::create_directories(p.parent_path(), ec);
  }
  store::OpenOptions options;
  options.run_schema = false;  // the cache's own tables, not the run history's
  auto db = store::Database::open(path, options);
  db.exec(k_schema);
  // Caches made before the microsecond duration existed get the column (empty: ms then).
  auto has = db.prepare(
      "SELECT COUNT(*) FROM pragma_table_info('meta') WHERE name = 'response_duration_us'");
  has.step();
  if (has.int64(0) == 0) {
    db.exec("ALTER TABLE meta ADD COLUMN response_duration_us INTEGER");
  }
  return CacheStore(std::move(db));
}

CacheStore::CacheStore(store::Database db)
    : m_db(std::move(db)), m_reader(std::make_unique<Reader>(m_db)) {}

CacheStore::CacheStore(CacheStore&& other) noexcept
    : m_db(std::move(other.m_db)),
      m_reader(std::move(other.m_reader)),
      m_pending_hits(std::move(other.m_pending_hits)),
      m_pending_total(other.m_pending_total) {
  other.m_pending_total = 0;
}

CacheStore::~CacheStore() {
  if (!m_reader) {
    return;  // moved from
  }
  try {
    flush_hits();
  } catch (...) {
    // A hit count is not worth an exception from a destructor.
  }
}

void CacheStore::put(const CachedResponse& r) {
  put_many(std::span<const CachedResponse>(&r, 1));
}

void CacheStore::put_many(std::span<const CachedResponse> rows) {
  m_db.transaction([&] {
    auto req = m_db.prepare(
        "INSERT INTO requests (fingerprint, provider, canonical_request) VALUES (?, ?, ?) "
        "ON CONFLICT (fingerprint) DO UPDATE SET provider = excluded.provider, "
        "canonical_request = excluded.canonical_request");
    auto res = m_db.prepare(
        "INSERT OR REPLACE INTO responses (fingerprint, body, events_json) VALUES (?, ?, ?)");
    auto meta = m_db.prepare(
        "INSERT OR REPLACE INTO meta (fingerprint, created_at_ms, hit_count, model, "
        "system_fingerprint, response_duration_ms, ttft_ms, provider, status, "
        "response_duration_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (const CachedResponse& r : rows) {
      req.reset();
      res.reset();
      meta.reset();
      req.bind(1, r.fingerprint).bind(2, r.provider).bind(3, r.canonical_request);
      req.step();
      res.bind(1, r.fingerprint).bind(2, r.body).bind(3, events_json(r.events));
      res.step();
      meta.bind(1, r.fingerprint)
          .bind(2, r.created_at_ms)
          .bind(3, r.hit_count)
          .bind(4, r.model)
          .bind(5, r.system_fingerprint)
          .bind(6, r.duration_ms)
          .bind(7, r.ttft_ms)
          .bind(8, r.provider)
          .bind(9, static_cast<std::int64_t>(r.status))
          .bind(10, r.duration_us);
      meta.step();
    }
  });
}

CacheWriter::CacheWriter(const std::string& path) : m_store(CacheStore::open(path)) {
  m_thread = std::thread([this] { run(); });
}

CacheWriter::~CacheWriter() {
  try {
    close();
  } catch (...) {
    // close() explicitly to see the error.
  }
}

void CacheWriter::put(CachedResponse response) {
  {
    std::lock_guard lock(m_mutex);
    m_queue.push_back(std::move(response));
  }
  m_wake.notify_one();
}

std::int64_t CacheWriter::close() {
  {
    std::lock_guard lock(m_mutex);
    if (m_closed) {
      return m_written;
    }
    m_closed = true;
  }
  m_wake.notify_one();
  if (m_thread.joinable()) {
    m_thread.join();
  }
  if (m_error) {
    throw RunError(*m_error);
  }
  return m_written;
}

void CacheWriter::run() {
  std::vector<CachedResponse> batch;
  for (;;) {
    {
      std::unique_lock lock(m_mutex);
      m_wake.wait(lock, [&] { return m_closed || !m_queue.empty(); });
      if (m_queue.empty()) {
        return;  // closed and drained
      }
      batch.swap(m_queue);
    }
    try {
      m_store.put_many(batch);
      m_written += static_cast<std::int64_t>(batch.size());
    } catch (const Error& e) {
      m_error = fmt::format("the response cache could not store {} responses: {}", batch.size(),
                            e.what());
      std::lock_guard lock(m_mutex);
      m_queue.clear();
      m_closed = true;
      return;
    }
    batch.clear();
  }
}

std::optional<CachedResponse> CacheStore::read(const std::string& fingerprint, bool with_events) {
  store::Statement& st = m_reader->get;
  st.reset();
  st.bind(1, fingerprint);
  if (!st.step()) {
    st.reset();
    return std::nullopt;
  }
  CachedResponse r;
  r.fingerprint = fingerprint;
  r.provider = st.text(0);
  r.canonical_request = st.text(1);
  r.body = st.text(2);
  const bool readable = !with_events || read_events(m_reader->parser, st.text(3), r.events);
  r.model = st.text(4);
  r.system_fingerprint = st.opt_text(5);
  r.ttft_ms = st.int64(6);
  r.duration_ms = st.int64(7);
  r.created_at_ms = st.int64(8);
  r.hit_count = st.int64(9);
  r.status = static_cast<long>(st.int64(10));
  r.duration_us = st.opt_int64(11);
  st.reset();
  if (!readable) {
    return std::nullopt;  // unreadable: `verify` reports it; a miss is the safe answer
  }
  return r;
}

std::optional<CachedResponse> CacheStore::get(const std::string& fingerprint, bool with_events) {
  auto r = read(fingerprint, with_events);
  if (!r) {
    return r;
  }
  r->hit_count += m_pending_hits[fingerprint] + 1;
  count_hit(fingerprint);
  return r;
}

void CacheStore::count_hit(const std::string& fingerprint) {
  ++m_pending_hits[fingerprint];
  if (++m_pending_total >= k_hit_batch) {
    flush_hits();
  }
}

void CacheStore::flush_hits() {
  if (m_pending_hits.empty()) {
    return;
  }
  m_db.transaction([&] {
    auto st = m_db.prepare("UPDATE meta SET hit_count = hit_count + ? WHERE fingerprint = ?");
    for (const auto& [fp, n] : m_pending_hits) {
      st.bind(1, n).bind(2, fp);
      st.step();
      st.reset();
    }
  });
  m_pending_hits.clear();
  m_pending_total = 0;
}

CacheStats CacheStore::stats() {
  flush_hits();
  CacheStats s;
  auto st = m_db.prepare(
      "SELECT COUNT(*), COALESCE(SUM(LENGTH(r.body) + LENGTH(r.events_json)), 0), "
      "COALESCE(SUM(m.hit_count), 0), MIN(m.created_at_ms), MAX(m.created_at_ms) "
      "FROM responses r JOIN meta m USING (fingerprint)");
  st.step();
  s.entries = st.int64(0);
  s.bytes = st.int64(1);
  s.hits = st.int64(2);
  s.oldest_ms = st.opt_int64(3);
  s.newest_ms = st.opt_int64(4);
  return s;
}

std::vector<std::string> CacheStore::verify() {
  std::vector<std::string> bad;
  auto st = m_db.prepare(
      "SELECT q.fingerprint, q.canonical_request, r.events_json IS NULL, r.events_json "
      "FROM requests q LEFT JOIN responses r USING (fingerprint) ORDER BY q.fingerprint");
  while (st.step()) {
    const std::string fp = st.text(0);
    std::vector<RecordedEvent> events;
    if (blake3_hex(st.text(1)) != fp || st.int64(2) != 0 ||
        !read_events(m_reader->parser, st.text(3), events)) {
      bad.push_back(fp);
    }
  }
  return bad;
}

std::vector<CacheEntry> CacheStore::list(const ListFilter& filter) {
  flush_hits();
  std::string sql =
      "SELECT m.fingerprint, m.provider, m.model, m.status, m.created_at_ms, m.hit_count, "
      "LENGTH(r.body) + LENGTH(r.events_json), json_array_length(r.events_json), m.ttft_ms, "
      "m.response_duration_ms FROM meta m JOIN responses r USING (fingerprint) WHERE 1";
  if (filter.model) {
    sql += " AND m.model = ?1";
  }
  if (filter.since_ms) {
    sql += " AND m.created_at_ms >= ?2";
  }
  if (filter.until_ms) {
    sql += " AND m.created_at_ms < ?3";
  }
  sql += " ORDER BY m.created_at_ms DESC, m.fingerprint";
  if (filter.limit) {
    sql += " LIMIT ?4";
  }
  auto st = m_db.prepare(sql);
  if (filter.model) {
    st.bind(1, *filter.model);
  }
  if (filter.since_ms) {
    st.bind(2, *filter.since_ms);
  }
  if (filter.until_ms) {
    st.bind(3, *filter.until_ms);
  }
  if (filter.limit) {
    st.bind(4, *filter.limit);
  }
  std::vector<CacheEntry> out;
  while (st.step()) {
    CacheEntry e;
    e.fingerprint = st.text(0);
    e.provider = st.text(1);
    e.model = st.text(2);
    e.status = static_cast<long>(st.int64(3));
    e.created_at_ms = st.int64(4);
    e.hit_count = st.int64(5);
    e.bytes = st.int64(6);
    e.events = st.is_null(7) ? 0 : st.int64(7);
    e.ttft_ms = st.int64(8);
    e.duration_ms = st.int64(9);
    out.push_back(std::move(e));
  }
  return out;
}

std::optional<CachedResponse> CacheStore::peek(const std::string& fingerprint) {
  flush_hits();
  return read(fingerprint, true);
}

std::string CacheStore::resolve(std::string_view prefix) {
  const bool hex = !prefix.empty() && prefix.size() <= 64 && util::is_lower_hex(prefix);
  if (!hex) {
    throw InputError(fmt::format(
        "\"{}\" is not a fingerprint (64 lowercase hex digits, or a unique prefix of one; "
        "`llmbench cache ls` lists them)",
        prefix));
  }
  auto st = m_db.prepare(
      "SELECT fingerprint FROM requests WHERE fingerprint >= ?1 AND fingerprint < ?1 || 'g' "
      "ORDER BY fingerprint LIMIT 2");
  st.bind(1, std::string(prefix));
  std::vector<std::string> found;
  while (st.step()) {
    found.push_back(st.text(0));
  }
  if (found.empty()) {
    throw InputError(
        fmt::format("no cache entry has a fingerprint starting with {} "
                    "(`llmbench cache ls` lists them)",
                    prefix));
  }
  if (found.size() > 1) {
    throw InputError(
        fmt::format("{} is the start of several fingerprints ({}..., {}...); give "
                    "more digits",
                    prefix, found[0].substr(0, 16), found[1].substr(0, 16)));
  }
  return found[0];
}

PruneResult CacheStore::prune(std::optional<std::int64_t> older_than_ms,
                              std::optional<std::int64_t> max_bytes) {
  flush_hits();
  PruneResult result;
  m_db.transaction([&] {
    std::vector<std::pair<std::string, std::int64_t>> doomed;
    auto st = m_db.prepare(
        "SELECT m.fingerprint, LENGTH(r.body) + LENGTH(r.events_json), m.created_at_ms "
        "FROM meta m JOIN responses r USING (fingerprint) ORDER BY m.created_at_ms, "
        "m.fingerprint");
    std::vector<std::pair<std::string, std::int64_t>> kept;
    std::int64_t kept_bytes = 0;
    while (st.step()) {
      const std::int64_t bytes = st.int64(1);
      if (older_than_ms && st.int64(2) < *older_than_ms) {
        doomed.emplace_back(st.text(0), bytes);
      } else {
        kept.emplace_back(st.text(0), bytes);
        kept_bytes += bytes;
      }
    }
    // Oldest first until what is left fits.
    for (std::size_t i = 0; max_bytes && kept_bytes > *max_bytes && i < kept.size(); ++i) {
      kept_bytes -= kept[i].second;
      doomed.push_back(kept[i]);
    }
    auto del = m_db.prepare("DELETE FROM requests WHERE fingerprint = ?");
    for (const auto& [fp, bytes] : doomed) {
      del.reset();
      del.bind(1, fp);
      del.step();
      ++result.removed;
      result.bytes_removed += bytes;
    }
  });
  if (result.removed > 0) {
    m_db.exec("VACUUM");
  }
  return result;
}

std::int64_t CacheStore::export_jsonl(std::ostream& out) {
  flush_hits();
  auto st = m_db.prepare(
      "SELECT q.fingerprint, q.provider, q.canonical_request, r.body, r.events_json, m.model, "
      "m.system_fingerprint, m.ttft_ms, m.response_duration_ms, m.created_at_ms, m.hit_count, "
      "m.status, m.response_duration_us FROM requests q JOIN responses r USING (fingerprint) "
      "JOIN meta m USING (fingerprint) ORDER BY m.created_at_ms, q.fingerprint");
  std::int64_t n = 0;
  std::string line;
  while (st.step()) {
    line = R"({"fingerprint":)";
    util::append_json_string(line, st.text(0));
    line += R"(,"provider":)";
    util::append_json_string(line, st.text(1));
    line += R"(,"request":)";
    line += st.text(2);  // canonical JSON already
    line += R"(,"response":{"status":)";
    line += std::to_string(st.int64(11));
    line += R"(,"model":)";
    util::append_json_string(line, st.text(5));
    line += R"(,"system_fingerprint":)";
    const auto sfp = st.opt_text(6);
    line += sfp ? util::json_string(*sfp) : "null";
    line += fmt::format(R"(,"ttft_ms":{},"duration_ms":{},"created_at_ms":{},"hit_count":{})",
                        st.int64(7), st.int64(8), st.int64(9), st.int64(10));
    if (!st.is_null(12)) {
      line += fmt::format(R"(,"duration_us":{})", st.int64(12));
    }
    line += R"(,"body":)";
    util::append_json_string(line, st.text(3));
    line += R"(,"events":)";
    line += st.text(4);
    line += "}}\n";
    out << line;
    ++n;
  }
  return n;
}

ImportResult CacheStore::import_jsonl(std::istream& in, const std::string& source) {
  std::vector<CachedResponse> rows;
  simdjson::dom::parser parser;
  std::string text;
  std::int64_t line_no = 0;
  while (std::getline(in, text)) {
    ++line_no;
    if (text.empty() || text == "\r") {
      continue;
    }
    const auto bad = [&](std::string_view why) {
      return InputError(
          fmt::format("{}:{}: {} (nothing was imported; lines are written by "
                      "`llmbench cache export`)",
                      source, line_no, why));
    };
    simdjson::dom::element doc;
    auto err = parser.parse(simdjson::padded_string(text)).get(doc);
    if (err == simdjson::NUMBER_ERROR) {  // a request with integers past 64 bits
      err = parser.parse(simdjson::padded_string(widen_big_integers(text))).get(doc);
    }
    if (err != simdjson::SUCCESS || !doc.is_object()) {
      throw bad("not a JSON object");
    }
    CachedResponse r;
    std::string_view sv;
    simdjson::dom::element request;
    simdjson::dom::element response;
    if (doc["fingerprint"].get_string().get(sv) != simdjson::SUCCESS) {
      throw bad("`fingerprint` is missing");
    }
    r.fingerprint = std::string(sv);
    if (doc["provider"].get_string().get(sv) != simdjson::SUCCESS) {
      throw bad("`provider` is missing");
    }
    r.provider = std::string(sv);
    if (doc["request"].get(request) != simdjson::SUCCESS || !request.is_object()) {
      throw bad("`request` is missing or not an object");
    }
    auto canonical = canonicalize(simdjson::minify(request));
    if (!canonical) {
      throw bad(fmt::format("`request` is not canonicalizable: {}", canonical.error()));
    }
    r.canonical_request = std::move(*canonical);
    if (blake3_hex(r.canonical_request) != r.fingerprint) {
      throw bad("the request does not hash to its fingerprint (edited or corrupt)");
    }
    if (doc["response"].get(response) != simdjson::SUCCESS || !response.is_object()) {
      throw bad("`response` is missing or not an object");
    }
    std::int64_t status = 0;
    if (response["status"].get_int64().get(status) != simdjson::SUCCESS || status < 200 ||
        status > 299) {
      throw bad("`response.status` is missing or not a success (only successes are cached)");
    }
    r.status = static_cast<long>(status);
    if (response["body"].get_string().get(sv) != simdjson::SUCCESS) {
      throw bad("`response.body` is missing");
    }
    r.body = std::string(sv);
    simdjson::dom::element events;
    if (response["events"].get(events) != simdjson::SUCCESS ||
        !read_events(parser_for_events(), simdjson::minify(events), r.events)) {
      throw bad("`response.events` is missing or not [[offset_us, text], ...]");
    }
    if (response["model"].get_string().get(sv) == simdjson::SUCCESS) {
      r.model = std::string(sv);
    }
    if (response["system_fingerprint"].get_string().get(sv) == simdjson::SUCCESS) {
      r.system_fingerprint = std::string(sv);
    }
    const auto int_or = [&](const char* key, std::int64_t fallback) {
      std::int64_t v = 0;
      return response[key].get_int64().get(v) == simdjson::SUCCESS ? v : fallback;
    };
    r.ttft_ms = int_or("ttft_ms", 0);
    r.duration_ms = int_or("duration_ms", 0);
    if (const std::int64_t us = int_or("duration_us", -1); us >= 0) {
      r.duration_us = us;
    }
    r.created_at_ms = int_or("created_at_ms", 0);
    r.hit_count = int_or("hit_count", 0);
    rows.push_back(std::move(r));
  }
  ImportResult result;
  auto exists = m_db.prepare("SELECT 1 FROM requests WHERE fingerprint = ?");
  for (const auto& r : rows) {
    exists.reset();
    exists.bind(1, r.fingerprint);
    if (exists.step()) {
      ++result.replaced;
    }
  }
  put_many(rows);
  result.imported = static_cast<std::int64_t>(rows.size());
  return result;
}

}  // namespace llmbench::cache
