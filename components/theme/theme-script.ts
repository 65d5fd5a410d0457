/**
 * The theme choice as the browser keeps it, and the tiny script the root layout inlines in
 * <head>: it runs before the first paint, so a dark page never flashes light (or the reverse).
 * The choice is "light", "dark" or absent (follow the system).
 */
export const THEME_STORAGE_KEY = "chorus-theme";

export const themeScript = `(function(){try{var c=localStorage.getItem(${JSON.stringify(THEME_STORAGE_KEY)});var d=c==="dark"||(c!=="light"&&window.matchMedia("(prefers-color-scheme: dark)").matches);document.documentElement.classList.toggle("dark",d)}catch(e){}})()`;
