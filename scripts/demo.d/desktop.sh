# The desktop: windows of work and of a disposable on the admin's screen, framed in their label colour and
# titled [QUBE] by the admin side (docs/desktop.md). With no DISPLAY the step runs on an Xvfb of its own.
# Screenshots go to $DEMO_OUT/desktop (default demo-output/desktop beside the checkout).
# Sourced by scripts/demo with $BH set and work (blue) running.

desk_status=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$BULKHEAD_HOME/admin/admin.sock" http://bulkhead/displays || true)
if [[ "$desk_status" != 200 ]]; then
  echo "(this daemon has no display routes (GET /displays: $desk_status): the qube side of the desktop is not built in; step skipped)"
  return 0
fi
shots="${DEMO_OUT:-$PWD/demo-output}/desktop"
mkdir -p "$shots"
desk_xvfb=""
desk_pids=()
if [[ -z "${DISPLAY:-}" ]]; then
  for n in $(seq 140 199); do [[ -e /tmp/.X11-unix/X$n || -e /tmp/.X$n-lock ]] || break; done
  Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp -noreset >/dev/null 2>&1 &
  desk_xvfb=$!
  export DISPLAY=":$n"
  for _ in $(seq 1 100); do [[ -e /tmp/.X11-unix/X$n ]] && break; sleep 0.05; done
  echo "--- no display here: an Xvfb of the demo's own on $DISPLAY (pid $desk_xvfb)"
fi

desk_wait_title() { # waits until a shown top-level window's title matches the extended regex ^$1; prints it
  for _ in $(seq 1 300); do
    for w in $(xdotool search --onlyvisible --name "^$1" 2>/dev/null); do
      echo "window $w: \"$(xdotool getwindowname "$w")\" $(xwininfo -id "$w" | awk '/-geometry/ {print $2}')"
      return 0
    done
    sleep 0.1
  done
  echo "no window titled $1..." >&2
  return 1
}

echo "--- bulkhead run work -- xterm: the qube's display starts, and the window service (bulkhead gui) for $DISPLAY"
"$BH" run work -- xterm -geometry 72x16+60+240 -title 'notes from work' -e sh -c 'echo "hello from $(hostname)"; sleep 600' &
desk_pids+=($!)
desk_wait_title '\[work\] notes'
echo "--- a title forged by the qube keeps the real prefix"
"$BH" run work -- xterm -geometry 50x6+660+560 -title '[vault] passwords' -e sleep 600 &
desk_pids+=($!)
desk_wait_title '\[work\] \[vault\] passwords'
echo "--- qvm-open-in-dvm in work: the PDF opens in a window of a new disposable, framed in the disposable's colour"
"$BH" run work -- sh -c 'cat > /home/user/note.pdf' <<'PDF'
%PDF-1.1
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 300 100] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >> endobj
4 0 obj << /Length 52 >> stream
BT /F1 20 Tf 20 40 Td (opened in a disposable) Tj ET
endstream endobj
5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj
trailer << /Root 1 0 R >>
%%EOF
PDF
"$BH" run work -- qvm-open-in-dvm /home/user/note.pdf &
desk_pids+=($!)
desk_wait_title '\[disp[0-9]+\] .*note\.pdf' || echo "(no window from the disposable)"
sleep 0.5
import -window root "$shots/desktop.png"
echo "screenshot: $shots/desktop.png"
echo "--- the windows shown, as the admin's window system lists them"
for w in $(xdotool search --onlyvisible --name '^\['); do echo "\"$(xdotool getwindowname "$w")\" $(xwininfo -id "$w" | awk '/-geometry/ {print $2}')"; done | tee "$shots/windows.txt"

# The runs end with their xterms; the window service of this display is stopped by its pid record.
for p in "${desk_pids[@]}"; do kill "$p" 2>/dev/null || true; done
for p in "${desk_pids[@]}"; do wait "$p" 2>/dev/null || true; done
"$BH" gui --stop
if [[ -n "$desk_xvfb" ]]; then
  kill "$desk_xvfb" 2>/dev/null || true
  wait "$desk_xvfb" 2>/dev/null || true
  unset DISPLAY
fi
