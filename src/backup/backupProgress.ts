/** Progress of a backup, verify or restore, one file at a time (the CLI draws it, src/cli/progress.ts). */
export type BackupProgress = (step: { readonly file: string; readonly done: number; readonly total: number; readonly unit: "pages" | "bytes" | "files" | "events" }) => void;
