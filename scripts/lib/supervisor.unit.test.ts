import { describe, expect, it } from 'vitest';
import { backoffMs, supervise } from './supervisor';

describe('supervisor', () => {
  it('doubles the wait from 1 s up to the ceiling', () => {
    expect([1, 2, 3, 4, 7, 8, 20].map((failures) => backoffMs(failures, 60_000))).toEqual([
      1_000, 2_000, 4_000, 8_000, 60_000, 60_000, 60_000,
    ]);
  });

  it('restarts a command that exits, and stops it with the supervisor', async () => {
    const lines: string[] = [];
    // Exits at once the first times (a crash loop), then runs until stopped.
    const marker = `/tmp/meterops-supervise-${process.pid}-${Date.now()}`;
    const script = `const fs=require('fs');const n=fs.existsSync('${marker}')?Number(fs.readFileSync('${marker}','utf8')):0;fs.writeFileSync('${marker}',String(n+1));if(n<2)process.exit(3);setInterval(()=>{},1000);`;
    const supervisor = supervise({
      name: 'child',
      command: [process.execPath, '-e', script],
      maxBackoffMs: 1_000,
      say: (line) => lines.push(line),
    });
    const deadline = Date.now() + 20_000;
    while (!lines.some((line) => line.includes('restart #2')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await supervisor.stop();
    expect(lines.filter((line) => line.includes('exited (code 3)'))).toHaveLength(2);
    expect(lines.at(-1)).toMatch(/child started \(pid \d+\), restart #2/);
  }, 30_000);
});
