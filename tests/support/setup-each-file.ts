// Runs before every test file. Tests keep quiet unless asked; secrets get test values.
process.env.NODE_ENV ??= "test";
process.env.LOG_LEVEL ??= "silent";
