#!/usr/bin/env node
console.log("usage: cancelable <ps|cancel|watch> (not implemented yet)");
export {};
