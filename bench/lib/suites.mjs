// The two suites: "quick" (make bench, under 10 minutes) and "full" (the sizes of the method
// document, about 25 minutes). Both run every scenario; full runs more rounds, sizes and time.

const requestsBySize = (scale) => (kb) => {
  if (kb <= 1) return { requests: 1000 * scale, warmup: 100 };
  if (kb <= 32) return { requests: 500 * scale, warmup: 50 };
  if (kb <= 256) return { requests: 100 * scale, warmup: 20 };
  if (kb <= 1024) return { requests: 30 * scale, warmup: 5 };
  return { requests: 20 * scale, warmup: 5 };
};

export const suites = {
  // Seconds per scenario, no meaning in the figures: proves the tools and scripts work.
  smoke: {
    arms: ['direct', 'nginx', 'ccgate', 'ccr'],
    rounds: 2,
    s1: { sizesKb: [1, 256], requests: () => ({ requests: 20, warmup: 5 }), maxSeconds: 2 },
    s2: {
      delaysMs: [0],
      concurrency: [4],
      ratesRps: [200],
      peerMaxRate: 1000,
      durationS: 0.5,
      warmup: 10,
      rounds: 1,
    },
    s3: { streams: 1 },
    s4: { events: 2000, singleStreams: 1, concurrentStreams: [16] },
    s5: { streams: [50], cycles: 2, cycleStreams: 50 },
    s6: {
      turns: 2,
      lines: 20,
      intervalUs: 1000,
      parallelSessions: 2,
      parallelTurns: 1,
      toolRounds: 2,
      idleSessions: 3,
      realCliRequests: 1,
    },
  },
  quick: {
    arms: ['direct', 'nginx', 'ccgate', 'ccr'],
    rounds: 3,
    s1: { sizesKb: [1, 32, 256, 1024, 2048], requests: requestsBySize(1), maxSeconds: 3 },
    s2: {
      delaysMs: [0, 20],
      concurrency: [1, 4, 16, 64, 256],
      ratesRps: [2000, 5000],
      peerMaxRate: 1000,
      durationS: 1.5,
      warmup: 100,
      rounds: 1,
    },
    s3: { streams: 3 },
    s4: { events: 20000, singleStreams: 2, concurrentStreams: [16, 256, 1024] },
    s5: { streams: [100, 1000, 5000], cycles: 10, cycleStreams: 500 },
    s6: {
      turns: 10,
      lines: 200,
      intervalUs: 1000,
      parallelSessions: 8,
      parallelTurns: 3,
      toolRounds: 20,
      idleSessions: 50,
      realCliRequests: 3,
    },
  },
  full: {
    arms: ['direct', 'nginx', 'ccgate', 'ccr'],
    rounds: 7,
    s1: { sizesKb: [1, 32, 256, 1024, 2048], requests: requestsBySize(2), maxSeconds: 12 },
    s2: {
      delaysMs: [0, 20],
      concurrency: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      ratesRps: [1000, 2000, 5000, 10000, 20000],
      peerMaxRate: 1000,
      durationS: 3,
      warmup: 200,
      rounds: 1,
    },
    s3: { streams: 6 },
    s4: { events: 50000, singleStreams: 3, concurrentStreams: [16, 64, 256, 1024, 2048] },
    s5: { streams: [100, 1000, 5000], cycles: 10, cycleStreams: 1000 },
    s6: {
      turns: 30,
      lines: 200,
      intervalUs: 1000,
      parallelSessions: 16,
      parallelTurns: 5,
      toolRounds: 50,
      idleSessions: 200,
      realCliRequests: 5,
    },
  },
};
