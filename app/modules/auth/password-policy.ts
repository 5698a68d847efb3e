/** Length over composition rules (NCSC password guidance). Shown to users, enforced on the server. */
export const MIN_PASSWORD_LENGTH = 12;
