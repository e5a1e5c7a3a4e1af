/**
 * English messages for the zod/mini schemas the package validates its options with. zod/mini loads no locale (that
 * is most of what keeps it small), and without one every built-in message reads "Invalid input"; classic zod loads
 * English itself on import. Importing one locale file costs about 4 kB, where the `locales` namespace would bring all
 * of them.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * Sets zod's English locale unless one is already set (the application's own choice, or classic zod's default),
 * so `ShieldConfigError` messages say what is wrong ("Too small: expected number to be >0"). Idempotent; called at
 * module load by the modules that parse options, as a call rather than a bare import so no bundler drops it.
 */
export function useEnglishZodMessages(): void {
  if (z.config().localeError === undefined) z.config(en());
}
