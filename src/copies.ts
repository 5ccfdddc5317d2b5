import type { Db } from "mongodb";
import { forgetDoorCopies } from "./door/copies";
import { forgetDirectoryCopy } from "./participants/directory-copy";

/**
 * Every copy packed in MongoDB for starts (the door's, the directory's) is never used again:
 * after a restore, a seed, or data changed in the database by hand. The scheduler's leader
 * packs new ones from the data itself.
 */
export async function forgetCopies(db: Db): Promise<void> {
  await Promise.all([forgetDoorCopies(db), forgetDirectoryCopy(db)]);
}
