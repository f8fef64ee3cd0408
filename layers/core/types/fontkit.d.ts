/** Upstream fontkit 2 ships no types; the adapter in formats/pdf declares what it uses. */
declare module 'fontkit';
