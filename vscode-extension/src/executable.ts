// Finding the `nodeforge` executable before starting it, so that a missing one gives a
// notification that says how to install it instead of a client that fails to start.
import * as fs from "fs";
import * as path from "path";

export const INSTALL_HINT =
  "Install it with `pip install nodeforge` (or `./scripts/setup` in a Nodeforge checkout), " +
  "or set `nodeforge.path` to the executable.";

/** Is `file` an existing executable regular file? */
export function isExecutableFile(file: string): boolean {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) {
      return false;
    }
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The absolute path `command` runs: itself when it names a path (`~` expanded, relative
 * to `cwd`), else the first match on `searchPath`; undefined when there is none.
 */
export function findExecutable(
  command: string,
  searchPath: string | undefined,
  options: { cwd?: string; home?: string; check?: (file: string) => boolean } = {},
): string | undefined {
  const check = options.check ?? isExecutableFile;
  let name = command;
  if (name.startsWith("~/") && options.home) {
    name = path.join(options.home, name.slice(2));
  }
  if (name.includes("/") || name.includes(path.sep)) {
    const file = path.isAbsolute(name) ? name : path.resolve(options.cwd ?? process.cwd(), name);
    return check(file) ? file : undefined;
  }
  for (const dir of (searchPath ?? "").split(path.delimiter)) {
    if (dir === "") {
      continue;
    }
    const file = path.join(dir, name);
    if (check(file)) {
      return file;
    }
  }
  return undefined;
}

/** The notification shown when the executable is missing. */
export function missingExecutableMessage(command: string): string {
  return `Nodeforge: the \`${command}\` executable was not found. ${INSTALL_HINT}`;
}
