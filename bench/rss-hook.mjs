// Preloaded into a benchmarked process (node --import): writes its peak RSS (KiB) on exit.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  const target = process.env.VITICTL_BENCH_RSS_FILE;
  if (target) writeFileSync(target, String(process.resourceUsage().maxRSS));
});
