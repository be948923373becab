"""Timeline and CPU per process of one command and everything it starts (detached servers too).

    python bench/proc_timeline.py COMMAND ...

Marks the command's environment with ``REH_MARK=<this pid>`` and samples /proc every 0.2 s;
every process whose environment carries the mark (the command, its children, a local AWS it
detached, terraform and its provider processes) is listed: CPU seconds by command line, then a
timeline (start, last seen, CPU) of the processes that used 0.3 CPU-s or more. Seconds are
relative to the command's start; a process shorter than a sample may be missed. Used for the
"Session 4, rehearsal" section of bench/RESULTS.md (where a `lakegate smoke` spends its time).
"""
import collections
import os
import re
import subprocess
import sys
import time

mark = f"REH_MARK={os.getpid()}".encode()
env = dict(os.environ, REH_MARK=str(os.getpid()))
cmd = sys.argv[1:]
T0 = time.time()
p = subprocess.Popen(cmd, env=env)
best = {}
tick = os.sysconf('SC_CLK_TCK')
boot = float(open('/proc/stat').read().split('btime ')[1].split()[0])
def sample():
    now = time.time()
    for d in os.listdir('/proc'):
        if not d.isdigit(): continue
        try:
            st = open(f'/proc/{d}/stat').read()
            f = st[st.rfind(')')+2:].split()
            key = (d, f[19])
            if key not in best:
                envb = open(f'/proc/{d}/environ','rb').read()
                if mark not in envb.split(b'\0'): 
                    best[key] = None; continue
            if best.get(key, 0) is None: continue
            cl = open(f'/proc/{d}/cmdline','rb').read().replace(b'\0',b' ').decode(errors='replace')[:200]
        except Exception: continue
        cpu = (int(f[11])+int(f[12]))/tick
        start = boot + int(f[19])/tick - T0
        old = best.get(key)
        if old and not cl: cl = old['cl']
        best[key] = {'cpu': cpu, 'cl': cl, 'start': start, 'last': now - T0}
while p.poll() is None:
    sample(); time.sleep(0.2)
sample()
rows = [v for v in best.values() if v]
agg = collections.defaultdict(lambda: [0.0, 0])
for v in rows:
    c = re.sub(r'/tmp/\S+', 'TMP', v['cl']); c = re.sub(r'\d{4,}', 'N', c)
    k = ' '.join(c.split()[:5])[:120]
    agg[k][0] += v['cpu']; agg[k][1] += 1
tot = sum(v['cpu'] for v in rows)
print(f"total CPU of marked processes {tot:.1f}, wall {time.time()-T0:.1f}")
for k, (c, n) in sorted(agg.items(), key=lambda kv: -kv[1][0])[:30]:
    print(f"{c:8.1f} {n:5d}  {k}")
print("--- timeline (start, last seen, cpu, cmd) for processes with cpu >= 0.3")
for v in sorted(rows, key=lambda v: v['start']):
    if v['cpu'] >= 0.3:
        print(f"{v['start']:7.1f} {v['last']:7.1f} {v['cpu']:6.1f}  {v['cl'][:150]}")
