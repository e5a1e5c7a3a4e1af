/**
 * English messages for the zod/mini schemas the package validates its options and inputs with. zod/mini loads no
 * locale (that is most of what keeps it small), and without one every built-in message reads "Invalid input".
 * Importing one locale file costs about 4 kB, where the `locales` namespace would bring all of them.
 */
import type * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * Parse parameters that give the package's own schemas English messages ("Too small: expected number to be >0"),
 * passed to every `safeParse`/`parse` of a package schema. Per parse rather than through `z.config()`: zod's global
 * configuration belongs to the application (its locale, its error map), and importing this package leaves it as it
 * was. A per-parse map comes before the global one, so `ShieldConfigError` messages read the same in every app.
 */
export const ENGLISH: z.core.ParseContext<z.core.$ZodIssue> = { error: en().localeError };
