/** The shared test lab's operator settings (global-setup starts it with these; tests restore them). */
export const TEST_LAB_CONFIG = { workers: 8, qps: 2000, burst: 4000 } as const;
