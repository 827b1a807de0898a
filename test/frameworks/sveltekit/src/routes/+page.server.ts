import type { PageServerLoad } from "./$types";

export const load: PageServerLoad = ({ locals }) => ({
  user: locals.session.get("user") ?? null,
  flashes: locals.session.flashes({ withCategories: true }),
});
