# Demo fragment (sourced by scripts/demo, bash, with $BH set, the daemon up and the lab up with its Tor network): Whonix.
# Whonix: a Tor gateway (sys-whonix) and a workstation (anon-whonix) whose only way out is Tor

wx_demo_say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
wx_lab() { $BH lab status --json | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

whonix_demo() {
  wx_demo_say "init --whonix: gateway and workstation templates (cached), sys-whonix (tor inside), anon-whonix, whonix-dvm"
  $BH init --uplink lab --whonix || return 1
  $BH start anon-whonix || return 1
  $BH ls

  wx_demo_say "anon-whonix fetches a lab page through Tor (transparent proxy: plain curl, nothing configured)"
  local page="" i
  for i in $(seq 1 30); do
    page=$($BH run anon-whonix -- curl -sS --max-time 10 http://web.lab.test/ 2>/dev/null) && break
    sleep 1 # tor in the gateway may still be bootstrapping
  done
  [[ -n "$page" ]] || { echo "no page through Tor" >&2; return 1; }
  echo "page title: $(printf '%s' "$page" | sed -n 's:.*<title>\(.*\)</title>.*:\1:p')"

  wx_demo_say "... and the lab's onion service, by its .onion name"
  local onion
  onion=$(wx_lab "(d['tor'] or {}).get('onionAddress','')") || return 1
  [[ -n "$onion" ]] || { echo "the lab's Tor network is not up" >&2; return 1; }
  echo "\$ bulkhead run anon-whonix -- curl http://$onion/"
  $BH run anon-whonix -- curl -sS --max-time 30 "http://$onion/" || return 1

  wx_demo_say "Who did the web host see? A Tor exit, not sys-net and not the workstation"
  local seen uplink
  seen=$($BH run anon-whonix -- curl -sS --max-time 30 http://web.lab.test/ip) || return 1
  uplink=$(wx_lab "d['uplinks'][0]['address']") || return 1
  echo "the web host saw:           $seen"
  echo "sys-net's uplink address:   $uplink   (what work's traffic looks like: masqueraded by sys-net)"
  echo "anon-whonix's own address:  $($BH run anon-whonix -- ip -4 -br addr show eth0 | awk '{print $3}') (the same on every workstation)"
  [[ "$seen" == 203.0.113.* && "$seen" != "$uplink" ]] || { echo "the web host saw $seen: not a Tor exit" >&2; return 1; }
  echo "through SOCKS with two usernames (two circuits, often two exits):"
  for u in alice bob; do
    echo "  $u -> $($BH run anon-whonix -- curl -sS --max-time 30 --socks5-hostname 10.152.152.10:9050 -U "$u:x" http://web.lab.test/ip)"
  done

  wx_demo_say "bulkhead check anon-whonix (Whonix's systemcheck)"
  $BH check anon-whonix || return 1
  return 0
}

whonix_demo
