// Placeholder: the guided tour of `cancelable` is written later (npm run showcase).
console.log('cancelable showcase: tour coming soon (placeholder).');
export {};
