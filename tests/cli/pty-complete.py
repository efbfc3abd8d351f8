#!/usr/bin/env python3
"""Types a line and TAB into a real interactive shell on a pseudo-terminal,
then prints what the shell wrote back (its completion), escape codes removed.

    pty-complete.py zsh|fish 'hostctl site show ' [TABS]

zsh loads the completion through compinit from $HOSTCTL_COMPLETIONS (fpath),
fish sources $HOSTCTL_COMPLETIONS/hostctl.fish; hostctl is found in PATH."""
import os
import pty
import re
import select
import sys
import time

shell, line = sys.argv[1], sys.argv[2]
tabs = int(sys.argv[3]) if len(sys.argv) > 3 else 1
comp = os.environ["HOSTCTL_COMPLETIONS"]
home = os.environ["HOME"]

if shell == "zsh":
    with open(os.path.join(home, ".zshrc"), "w") as rc:
        rc.write(f"fpath=({comp} $fpath)\nautoload -U compinit && compinit -u -d {home}/.zcompdump\nPS1='READY> '\n")
    argv = ["zsh", "-i"]
else:
    argv = ["fish", "--no-config", "-i", "-C",
            f"source {comp}/hostctl.fish; function fish_prompt; echo 'READY> '; end; function fish_greeting; end"]

pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "xterm"
    os.execvp(argv[0], argv)

out = b""


def read_for(seconds):
    global out
    end = time.time() + seconds
    while time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            out += chunk


def wait_for(text, seconds):
    end = time.time() + seconds
    while time.time() < end and text not in out:
        read_for(0.1)


wait_for(b"READY>", 20)
start = len(out)
os.write(fd, line.encode())
read_for(0.5)
for _ in range(tabs):
    os.write(fd, b"\t")
    read_for(3)
os.write(fd, b"\x03")
read_for(0.3)
os.kill(pid, 9)
text = out[start:].decode("utf-8", "replace")
text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]|\x1b\][^\x07]*\x07|[\r\x07]", "", text)
sys.stdout.write(text)
