// Exception class hierarchy shared by thrower.cpp and main.cpp. The key
// functions (what/~) are defined in thrower.cpp, so the vtables and
// typeinfo objects live there and main.cpp refers to them across TUs.
#pragma once
#include <exception>
#include <string>

namespace app {

class Fault : public std::exception {
  public:
    explicit Fault(std::string msg, int code) : msg_(std::move(msg)), code_(code) {}
    ~Fault() override;
    const char *what() const noexcept override;
    int code() const { return code_; }

  private:
    std::string msg_;
    int code_;
};

class IoFault : public Fault {
  public:
    IoFault(std::string msg, int code, std::string path)
        : Fault(std::move(msg), code), path_(std::move(path)) {}
    ~IoFault() override;
    const std::string &path() const { return path_; }

  private:
    std::string path_;
};

class ParseFault : public Fault {
  public:
    ParseFault(std::string msg, int line) : Fault(std::move(msg), 100 + line), line_(line) {}
    ~ParseFault() override;
    int line() const { return line_; }

  private:
    int line_;
};

// Not derived from std::exception at all.
struct Plain {
    int value;
};

// Counts live objects, to check that unwinding runs destructors.
struct Guard {
    explicit Guard(const char *name);
    ~Guard();
    const char *name;
};
extern int guards_alive;
extern std::string unwind_log;

[[noreturn]] void throw_io(const std::string &path);
[[noreturn]] void throw_parse(int line);
[[noreturn]] void throw_plain(int v);
[[noreturn]] void throw_int(int v);
void maybe_throw(int what);
void rethrow_wrapped(int what);          // catches, logs, rethrows with `throw;`
void throw_nested(int what);             // std::throw_with_nested
std::exception_ptr capture(int what);    // returns the exception as exception_ptr
int deep_unwind(int depth);              // recursion with a Guard per frame

} // namespace app
