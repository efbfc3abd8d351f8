#include "run/recorder.hpp"

#include "core/clock.hpp"
#include "exec/directive.hpp"
#include "run/command.hpp"

namespace hostctl::run {

Recorder::~Recorder() {
  try {
    flush();
  } catch (...) {
    // The command's final state was already written; losing a last line is all that can happen.
  }
}

void Recorder::task_started(int64_t task_id) {
  write_task(task_id,
             "UPDATE task SET status = 1, started_at = ?2, finished_at = NULL, exit_code = NULL, error = NULL "
             "WHERE id = ?1",
             [](catalog::Statement& st) { st.bind(2, now_utc()); });
}

void Recorder::task_finished(int64_t task_id, int status, std::optional<int> exit_code, const std::string& error) {
  write_task(task_id, "UPDATE task SET status = ?2, exit_code = ?3, error = ?4, finished_at = ?5 WHERE id = ?1",
             [&](catalog::Statement& st) {
               st.bind(2, status);
               if (exit_code) st.bind(3, *exit_code); else st.bind(3);
               if (error.empty()) st.bind(4); else st.bind(4, error);
               st.bind(5, now_utc());
             });
}

void Recorder::task_reset(int64_t task_id) {
  write_task(task_id,
             "UPDATE task SET status = 0, exit_code = NULL, error = NULL, started_at = NULL, finished_at = NULL "
             "WHERE id = ?1",
             [](catalog::Statement&) {});
}

// One task-state change in its own short transaction, after the pending log lines.
void Recorder::write_task(int64_t task_id, const char* sql, const std::function<void(catalog::Statement&)>& bind) {
  std::lock_guard lock(mutex_);
  flush_locked();
  catalog::Write write(catalog_, "");
  catalog::Statement st(catalog_.db(), sql);
  st.bind(1, task_id);
  bind(st);
  st.exec();
  write.commit();
}

void Recorder::line(int64_t task_id, std::optional<int64_t> deployment_id, exec::Stream stream, std::string_view text) {
  std::lock_guard lock(mutex_);
  pending_.push_back({task_id, deployment_id, stream == exec::Stream::Out ? "out" : "err", std::string(text), now_utc()});
  if (pending_.size() >= 256 || std::chrono::steady_clock::now() - last_flush_ > std::chrono::milliseconds(200))
    flush_locked();
}

void Recorder::note(int64_t task_id, const std::string& text) {
  std::lock_guard lock(mutex_);
  pending_.push_back({task_id, std::nullopt, "sys", text, now_utc()});
  flush_locked();
}

void Recorder::command_finished(int64_t command_id, int status, const std::string& error) {
  std::lock_guard lock(mutex_);
  flush_locked();
  catalog::Write write(catalog_, "");
  catalog::Statement st(catalog_.db(), "UPDATE command SET status = ?, error = ?, finished_at = ? WHERE id = ?");
  st.bind(1, status);
  if (error.empty()) st.bind(2); else st.bind(2, error);
  st.bind(3, now_utc());
  st.bind(4, command_id);
  st.exec();
  write.commit();
}

bool Recorder::cancel_requested(int64_t command_id) {
  std::lock_guard lock(mutex_);
  catalog::Statement q(catalog_.db(), "SELECT cancel_requested FROM command WHERE id = ?");
  q.bind(1, command_id);
  return q.executeStep() && q.getColumn(0).getInt() != 0;
}

void Recorder::renew_lease(int64_t command_id) {
  std::lock_guard lock(mutex_);
  run::renew_lease(catalog_, command_id);
}

void Recorder::flush() {
  std::lock_guard lock(mutex_);
  flush_locked();
}

void Recorder::flush_locked() {
  last_flush_ = std::chrono::steady_clock::now();
  if (pending_.empty()) return;
  catalog::Write write(catalog_, "");
  catalog::Statement insert(catalog_.db(), "INSERT INTO task_log(task_id, at, stream, line) VALUES (?, ?, ?, ?)");
  for (const Pending& p : pending_) {
    insert.bind(1, p.task_id);
    insert.bind(2, p.at);
    insert.bind(3, p.stream);
    insert.bind(4, p.text);
    insert.exec();
    insert.reset();
    if (p.stream == "out") record_directive(p);
  }
  write.commit();
  pending_.clear();
}

void Recorder::record_directive(const Pending& p) {
  std::string problem;
  auto d = exec::parse_directive(p.text, problem);
  auto& db = catalog_.db();
  if (!d) {
    if (!problem.empty()) {
      catalog::Statement warn(db, "INSERT INTO task_log(task_id, at, stream, line) VALUES (?, ?, 'sys', ?)");
      warn.bind(1, p.task_id);
      warn.bind(2, p.at);
      warn.bind(3, "hostctl: ignored: " + problem);
      warn.exec();
    }
    return;
  }
  static const char* kinds[] = {"set", "package", "usage", "progress"};
  catalog::Statement add(db, "INSERT INTO directive(task_id, kind, key, value) VALUES (?, ?, ?, ?)");
  add.bind(1, p.task_id);
  add.bind(2, kinds[static_cast<int>(d->kind)]);
  add.bind(3, d->key);
  add.bind(4, d->value);
  add.exec();
  using Kind = exec::Directive::Kind;
  if (d->kind == Kind::Progress) {
    catalog::Statement st(db, "UPDATE task SET progress = ? WHERE id = ?");
    st.bind(1, d->value);
    st.bind(2, p.task_id);
    st.exec();
    return;
  }
  if (!p.deployment_id) return;
  const char* sql = d->kind == Kind::Set ? "INSERT INTO fact(deployment_id, key, value) VALUES (?, ?, ?) "
                                          "ON CONFLICT (deployment_id, key) DO UPDATE SET value = excluded.value"
                    : d->kind == Kind::Package
                        ? "INSERT INTO package(deployment_id, name, version) VALUES (?, ?, ?) "
                          "ON CONFLICT (deployment_id, name) DO UPDATE SET version = excluded.version"
                        : "INSERT INTO usage(deployment_id, metric, value, at) VALUES (?, ?, ?, ?)";
  catalog::Statement st(db, sql);
  st.bind(1, *p.deployment_id);
  st.bind(2, d->key);
  if (d->kind == Kind::Usage) {
    st.bind(3, std::stod(d->value));
    st.bind(4, p.at);
  } else {
    st.bind(3, d->value);
  }
  st.exec();
}

}  // namespace hostctl::run
