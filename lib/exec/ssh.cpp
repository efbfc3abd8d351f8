// The SSH transport on libssh: one session per host, one channel per task.
#include "exec/ssh.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>
#include <mutex>
#include <optional>

#include "core/error.hpp"
#include "core/library.hpp"
#include "exec/lines.hpp"
#include "exec/wrapper.hpp"

namespace hostctl::exec {
namespace {

// libssh brings libcrypto and Kerberos with it: ~2.7 ms of dynamic loading on
// every start, measured, while most commands never open a connection. So it is
// loaded on first use (core/library), and these are the functions hostctl calls.
#define HOSTCTL_LIBSSH_FUNCTIONS(X) \
  X(ssh_channel_close) \
  X(ssh_channel_free) \
  X(ssh_channel_new) \
  X(ssh_channel_open_session) \
  X(ssh_channel_request_exec) \
  X(ssh_channel_send_eof) \
  X(ssh_channel_write) \
  X(ssh_clean_pubkey_hash) \
  X(ssh_connect) \
  X(ssh_disconnect) \
  X(ssh_event_add_session) \
  X(ssh_event_dopoll) \
  X(ssh_event_free) \
  X(ssh_event_new) \
  X(ssh_event_remove_session) \
  X(ssh_free) \
  X(ssh_get_error) \
  X(ssh_get_fingerprint_hash) \
  X(ssh_get_publickey_hash) \
  X(ssh_get_server_publickey) \
  X(ssh_init) \
  X(ssh_is_connected) \
  X(ssh_key_free) \
  X(ssh_key_type_from_name) \
  X(ssh_new) \
  X(ssh_options_get) \
  X(ssh_options_parse_config) \
  X(ssh_options_set) \
  X(ssh_pki_import_privkey_file) \
  X(ssh_pki_import_pubkey_base64) \
  X(ssh_remove_channel_callbacks) \
  X(ssh_session_is_known_server) \
  X(ssh_session_update_known_hosts) \
  X(ssh_set_channel_callbacks) \
  X(ssh_string_free_char) \
  X(ssh_userauth_publickey) \
  X(ssh_userauth_publickey_auto) \
  X(sftp_close) \
  X(sftp_free) \
  X(sftp_get_error) \
  X(sftp_init) \
  X(sftp_new) \
  X(sftp_open) \
  X(sftp_read) \
  X(sftp_write)

constexpr const char* kLibSsh = "libssh.so.4";

struct LibSsh {
#define HOSTCTL_DECLARE(name) decltype(&::name) name = nullptr;
  HOSTCTL_LIBSSH_FUNCTIONS(HOSTCTL_DECLARE)
#undef HOSTCTL_DECLARE
};

const LibSsh& libssh() {
  static const LibSsh api = [] {
    void* handle = load_library(kLibSsh, "libssh-4");
    LibSsh loaded;
#define HOSTCTL_RESOLVE(name) \
  loaded.name = reinterpret_cast<decltype(&::name)>(library_symbol(handle, kLibSsh, #name));
    HOSTCTL_LIBSSH_FUNCTIONS(HOSTCTL_RESOLVE)
#undef HOSTCTL_RESOLVE
    return loaded;
  }();
  return api;
}

using Clock = std::chrono::steady_clock;

std::string fingerprint(ssh_key key) {
  unsigned char* hash = nullptr;
  size_t len = 0;
  if (libssh().ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) != 0) return "(unknown)";
  char* text = libssh().ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len);
  std::string out = text ? text : "(unknown)";
  libssh().ssh_string_free_char(text);
  libssh().ssh_clean_pubkey_hash(&hash);
  return out;
}

// Fingerprints of the keys known_hosts holds for this host (plain entries;
// hashed ones cannot be matched without the salt, and are skipped).
std::vector<std::string> known_fingerprints(const std::string& known_hosts, const std::string& address, int port) {
  std::string pattern = port == 22 ? address : fmt::format("[{}]:{}", address, port);
  std::vector<std::string> out;
  std::ifstream in(known_hosts);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string hosts, type, blob;
    if (!(fields >> hosts >> type >> blob) || hosts.empty() || hosts[0] == '#' || hosts[0] == '|') continue;
    std::istringstream names(hosts);
    bool match = false;
    for (std::string name; std::getline(names, name, ',');) match = match || name == pattern;
    if (!match) continue;
    ssh_key key = nullptr;
    if (libssh().ssh_pki_import_pubkey_base64(blob.c_str(), libssh().ssh_key_type_from_name(type.c_str()), &key) == SSH_OK) {
      out.push_back(fingerprint(key));
      libssh().ssh_key_free(key);
    }
  }
  return out;
}

struct ChannelState {
  LineSplitter* out = nullptr;
  LineSplitter* err = nullptr;
  bool eof = false;
  bool closed = false;
  bool got_status = false;
  int exit_status = -1;
  std::string signal;
};

int on_data(ssh_session, ssh_channel, void* data, uint32_t len, int is_stderr, void* userdata) {
  auto* st = static_cast<ChannelState*>(userdata);
  (is_stderr ? st->err : st->out)->feed(std::string_view(static_cast<const char*>(data), len));
  return static_cast<int>(len);
}
void on_eof(ssh_session, ssh_channel, void* userdata) { static_cast<ChannelState*>(userdata)->eof = true; }
void on_close(ssh_session, ssh_channel, void* userdata) { static_cast<ChannelState*>(userdata)->closed = true; }
void on_exit_status(ssh_session, ssh_channel, int status, void* userdata) {
  auto* st = static_cast<ChannelState*>(userdata);
  st->exit_status = status;
  st->got_status = true;
}
void on_exit_signal(ssh_session, ssh_channel, const char* signal, int, const char*, const char*, void* userdata) {
  auto* st = static_cast<ChannelState*>(userdata);
  st->signal = signal ? signal : "?";
  st->got_status = true;
  st->exit_status = 128 + 9;
}

// One file open over SFTP; closed with its object.
class SftpFile : public FileReader {
 public:
  SftpFile(sftp_session sftp, const std::string& path, int flags, const std::string& where)
      : path_(path), where_(where) {
    file_ = libssh().sftp_open(sftp, path.c_str(), flags, 0600);
    if (!file_)
      throw Error(ErrorKind::RemoteFailed, fmt::format("cannot open '{}' on {} over SFTP (SFTP error {})", path, where,
                                                       libssh().sftp_get_error(sftp)));
  }
  ~SftpFile() override { libssh().sftp_close(file_); }
  size_t read(char* buffer, size_t n) override {
    ssize_t got = libssh().sftp_read(file_, buffer, n);
    if (got < 0) throw Error(ErrorKind::RemoteFailed, fmt::format("cannot read '{}' on {} over SFTP", path_, where_));
    return static_cast<size_t>(got);
  }
  void write(const char* buffer, size_t n) {
    for (size_t done = 0; done < n;) {
      ssize_t put = libssh().sftp_write(file_, buffer + done, n - done);
      if (put <= 0) throw Error(ErrorKind::RemoteFailed, fmt::format("cannot write '{}' on {} over SFTP", path_, where_));
      done += static_cast<size_t>(put);
    }
  }

 private:
  sftp_file file_ = nullptr;
  std::string path_, where_;
};

class SshSession : public Session {
 public:
  SshSession(const Endpoint& endpoint, const ConnectOptions& options) : endpoint_(endpoint) {
    static std::once_flag init;
    std::call_once(init, [] { libssh().ssh_init(); });
    session_ = libssh().ssh_new();
    if (!session_) throw Error(ErrorKind::Internal, "cannot allocate an SSH session");
    try {
      configure(options);
      open(options);
    } catch (...) {
      libssh().ssh_disconnect(session_);
      libssh().ssh_free(session_);
      throw;
    }
  }

  ~SshSession() override {
    if (sftp_) libssh().sftp_free(sftp_);
    libssh().ssh_disconnect(session_);
    libssh().ssh_free(session_);
  }

  std::unique_ptr<FileReader> open_file(const std::string& path) override {
    auto file = std::make_unique<SftpFile>(sftp(), path, O_RDONLY, where());
    return file;
  }

  int64_t write_file(const std::string& path, FileReader& from, const std::atomic<bool>& cancel) override {
    SftpFile file(sftp(), path, O_WRONLY | O_CREAT | O_TRUNC, where());
    int64_t total = 0;
    std::vector<char> buffer(1 << 16);
    for (size_t n; (n = from.read(buffer.data(), buffer.size())) > 0;) {
      if (cancel) throw Error(ErrorKind::Interrupted, fmt::format("writing '{}' on {} was cancelled", path, where()));
      file.write(buffer.data(), n);
      total += static_cast<int64_t>(n);
    }
    return total;
  }

  Outcome run(const Job& job, const LineSink& sink, const std::atomic<bool>& cancel) override {
    Outcome outcome;
    long pgid = 0;
    LineSplitter out_lines(Stream::Out, sink, pgid), err_lines(Stream::Err, sink, pgid);
    ChannelState st;
    st.out = &out_lines;
    st.err = &err_lines;
    ssh_channel channel = libssh().ssh_channel_new(session_);
    if (!channel || libssh().ssh_channel_open_session(channel) != SSH_OK) {
      outcome.lost = fmt::format("cannot open a channel: {}", libssh().ssh_get_error(session_));
      if (channel) libssh().ssh_channel_free(channel);
      return outcome;
    }
    ssh_channel_callbacks_struct callbacks{};
    callbacks.userdata = &st;
    callbacks.channel_data_function = on_data;
    callbacks.channel_eof_function = on_eof;
    callbacks.channel_close_function = on_close;
    callbacks.channel_exit_status_function = on_exit_status;
    callbacks.channel_exit_signal_function = on_exit_signal;
    ssh_callbacks_init(&callbacks);
    libssh().ssh_set_channel_callbacks(channel, &callbacks);

    std::string payload = wrapper_payload(job);
    if (libssh().ssh_channel_request_exec(channel, wrapper_command().c_str()) != SSH_OK ||
        libssh().ssh_channel_write(channel, payload.data(), static_cast<uint32_t>(payload.size())) !=
            static_cast<int>(payload.size()) ||
        libssh().ssh_channel_send_eof(channel) != SSH_OK) {
      outcome.lost = fmt::format("cannot start the task: {}", libssh().ssh_get_error(session_));
      libssh().ssh_channel_free(channel);
      return outcome;
    }

    ssh_event event = libssh().ssh_event_new();
    libssh().ssh_event_add_session(event, session_);
    auto deadline = Clock::now() + std::chrono::seconds(job.timeout_seconds + 10);
    std::optional<Clock::time_point> stop_sent;
    while (!st.closed && !(st.eof && st.got_status)) {
      if (libssh().ssh_event_dopoll(event, 100) == SSH_ERROR || !libssh().ssh_is_connected(session_)) {
        outcome.lost = fmt::format("connection lost: {}", libssh().ssh_get_error(session_));
        break;
      }
      bool overdue = Clock::now() > deadline;
      if (!stop_sent && (cancel.load() || overdue)) {
        outcome.cancelled = cancel.load();
        outcome.timed_out = overdue;
        stop_remote(pgid);
        stop_sent = Clock::now();
      }
      // A task that ignores the stop is given up on, not waited for.
      if (stop_sent && Clock::now() - *stop_sent > std::chrono::seconds(10)) break;
    }
    libssh().ssh_event_remove_session(event, session_);
    libssh().ssh_event_free(event);
    out_lines.finish();
    err_lines.finish();
    if (st.got_status) outcome.exit_code = st.exit_status;
    if (outcome.exit_code == kTimedOut) outcome.timed_out = true;
    libssh().ssh_remove_channel_callbacks(channel, &callbacks);
    libssh().ssh_channel_close(channel);
    libssh().ssh_channel_free(channel);
    return outcome;
  }

 private:
  void configure(const ConnectOptions& options) {
    int no = 0, yes = 1;
    long timeout = static_cast<long>(options.connect_timeout);
    libssh().ssh_options_set(session_, SSH_OPTIONS_HOST, endpoint_.address.c_str());
    libssh().ssh_options_set(session_, SSH_OPTIONS_PROCESS_CONFIG, &no);
    std::error_code ec;
    if (!options.ssh_config.empty() && std::filesystem::exists(options.ssh_config, ec) &&
        libssh().ssh_options_parse_config(session_, options.ssh_config.c_str()) != 0)
      throw Error(ErrorKind::Usage, fmt::format("cannot read ssh config '{}'", options.ssh_config));
    // The catalog's values win over ssh_config, which fills what the catalog leaves open.
    unsigned int port = static_cast<unsigned int>(endpoint_.port);
    libssh().ssh_options_set(session_, SSH_OPTIONS_PORT, &port);
    if (!endpoint_.user.empty()) libssh().ssh_options_set(session_, SSH_OPTIONS_USER, endpoint_.user.c_str());
    libssh().ssh_options_set(session_, SSH_OPTIONS_KNOWNHOSTS, options.known_hosts.c_str());
    libssh().ssh_options_set(session_, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
    libssh().ssh_options_set(session_, SSH_OPTIONS_TIMEOUT, &timeout);
    libssh().ssh_options_set(session_, SSH_OPTIONS_NODELAY, &yes);
  }

  std::string where() const { return fmt::format("host '{}' ({}:{})", endpoint_.name, endpoint_.address, endpoint_.port); }

  void open(const ConnectOptions& options) {
    if (libssh().ssh_connect(session_) != SSH_OK)
      throw Error(ErrorKind::Unreachable, fmt::format("cannot connect to {}: {}", where(), libssh().ssh_get_error(session_)),
                  "check the address and port, and that sshd runs there");
    check_host_key(options);
    authenticate();
  }

  void check_host_key(const ConnectOptions& options) {
    ssh_key key = nullptr;
    if (libssh().ssh_get_server_publickey(session_, &key) != SSH_OK)
      throw Error(ErrorKind::Unreachable, fmt::format("{} sent no host key", where()));
    std::string offered = fingerprint(key);
    libssh().ssh_key_free(key);
    switch (libssh().ssh_session_is_known_server(session_)) {
      case SSH_KNOWN_HOSTS_OK:
        return;
      case SSH_KNOWN_HOSTS_CHANGED:
      case SSH_KNOWN_HOSTS_OTHER: {
        auto known = known_fingerprints(options.known_hosts, endpoint_.address, endpoint_.port);
        throw Error(ErrorKind::Unreachable,
                    fmt::format("the host key of {} has CHANGED: known {}, offered {}; refusing to connect", where(),
                                known.empty() ? "(a key in a hashed or other entry)" : fmt::format("{}", fmt::join(known, ", ")),
                                offered),
                    fmt::format("if the host was really reinstalled, remove its line from '{}' and run "
                                "'hostctl host verify {} --accept-new-key'",
                                options.known_hosts, endpoint_.name),
                    false);
      }
      case SSH_KNOWN_HOSTS_NOT_FOUND:
      case SSH_KNOWN_HOSTS_UNKNOWN:
        if (!options.accept_new_key)
          throw Error(ErrorKind::Unreachable,
                      fmt::format("the host key of {} is not known ({}); refusing to connect", where(), offered),
                      fmt::format("check the fingerprint, then run 'hostctl host verify {} --accept-new-key'",
                                  endpoint_.name),
                      false);
        std::filesystem::create_directories(std::filesystem::path(options.known_hosts).parent_path());
        if (libssh().ssh_session_update_known_hosts(session_) != SSH_OK)
          throw Error(ErrorKind::Internal,
                      fmt::format("cannot record the host key in '{}': {}", options.known_hosts,
                                  libssh().ssh_get_error(session_)));
        return;
      case SSH_KNOWN_HOSTS_ERROR:
        break;
    }
    throw Error(ErrorKind::Unreachable,
                fmt::format("cannot check the host key of {}: {}", where(), libssh().ssh_get_error(session_)));
  }

  void authenticate() {
    int rc = SSH_AUTH_DENIED;
    if (!endpoint_.identity_file.empty()) {
      ssh_key key = nullptr;
      if (libssh().ssh_pki_import_privkey_file(endpoint_.identity_file.c_str(), nullptr, nullptr, nullptr, &key) != SSH_OK)
        throw Error(ErrorKind::Unreachable,
                    fmt::format("cannot read the identity file '{}' for {}", endpoint_.identity_file, where()));
      rc = libssh().ssh_userauth_publickey(session_, nullptr, key);
      libssh().ssh_key_free(key);
    } else {
      rc = libssh().ssh_userauth_publickey_auto(session_, nullptr, nullptr);
    }
    if (rc != SSH_AUTH_SUCCESS) {
      char* user = nullptr;
      libssh().ssh_options_get(session_, SSH_OPTIONS_USER, &user);
      std::string who = user ? user : "?";
      libssh().ssh_string_free_char(user);
      throw Error(ErrorKind::Unreachable,
                  fmt::format("{} refused public-key authentication for user '{}'", where(), who),
                  "check --user and --identity, or the keys in ssh-agent", false);
    }
  }

  // Stops the task's process group on the host, through a second channel.
  void stop_remote(long pgid) {
    if (pgid <= 0) return;
    ssh_channel ch = libssh().ssh_channel_new(session_);
    if (!ch) return;
    // "-s SIG --" is the form both dash and bash accept for a process group.
    std::string cmd = fmt::format(
        "kill -s TERM -- -{0} 2>/dev/null; (sleep 2; kill -s KILL -- -{0}) >/dev/null 2>&1 </dev/null &", pgid);
    if (libssh().ssh_channel_open_session(ch) == SSH_OK && libssh().ssh_channel_request_exec(ch, cmd.c_str()) == SSH_OK) {
      libssh().ssh_channel_send_eof(ch);
      libssh().ssh_channel_close(ch);
    }
    libssh().ssh_channel_free(ch);
  }

  Endpoint endpoint_;
  ssh_session session_ = nullptr;
  sftp_session sftp_ = nullptr;  // opened on the first file moved

  sftp_session sftp() {
    if (sftp_) return sftp_;
    sftp_session s = libssh().sftp_new(session_);
    if (!s || libssh().sftp_init(s) != SSH_OK) {
      if (s) libssh().sftp_free(s);
      throw Error(ErrorKind::RemoteFailed, fmt::format("cannot start SFTP on {}: {}", where(), libssh().ssh_get_error(session_)),
                  "sshd there needs its sftp subsystem ('Subsystem sftp internal-sftp')");
    }
    return sftp_ = s;
  }
};

}  // namespace

std::unique_ptr<Session> connect_ssh(const Endpoint& endpoint, const ConnectOptions& options) {
  return std::make_unique<SshSession>(endpoint, options);
}

}  // namespace hostctl::exec
