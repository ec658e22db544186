//! The slice of Node-API this addon uses, declared by hand (the C ABI is stable; Node and Bun export these
//! symbols from their executables), plus a small safe wrapper. All FFI `unsafe` of the addon is here.

#![allow(non_camel_case_types)]

use crate::error::{Error, Result};
use crate::sys;
use std::ffi::CStr;
use std::os::raw::{c_char, c_void};
use std::ptr;

pub type napi_env = *mut c_void;
pub type napi_value = *mut c_void;
type napi_callback_info = *mut c_void;
type napi_status = i32;
type napi_callback = unsafe extern "C" fn(napi_env, napi_callback_info) -> napi_value;

const NAPI_OK: napi_status = 0;

extern "C" {
    fn napi_get_cb_info(env: napi_env, info: napi_callback_info, argc: *mut usize, argv: *mut napi_value, this: *mut napi_value, data: *mut *mut c_void) -> napi_status;
    fn napi_create_object(env: napi_env, result: *mut napi_value) -> napi_status;
    fn napi_create_array_with_length(env: napi_env, len: usize, result: *mut napi_value) -> napi_status;
    fn napi_set_element(env: napi_env, object: napi_value, index: u32, value: napi_value) -> napi_status;
    fn napi_set_named_property(env: napi_env, object: napi_value, name: *const c_char, value: napi_value) -> napi_status;
    fn napi_get_named_property(env: napi_env, object: napi_value, name: *const c_char, result: *mut napi_value) -> napi_status;
    fn napi_create_double(env: napi_env, value: f64, result: *mut napi_value) -> napi_status;
    fn napi_create_string_utf8(env: napi_env, text: *const c_char, len: usize, result: *mut napi_value) -> napi_status;
    fn napi_get_boolean(env: napi_env, value: bool, result: *mut napi_value) -> napi_status;
    fn napi_get_undefined(env: napi_env, result: *mut napi_value) -> napi_status;
    fn napi_get_null(env: napi_env, result: *mut napi_value) -> napi_status;
    fn napi_typeof(env: napi_env, value: napi_value, result: *mut i32) -> napi_status;
    fn napi_get_value_string_utf8(env: napi_env, value: napi_value, buf: *mut c_char, size: usize, result: *mut usize) -> napi_status;
    fn napi_get_value_double(env: napi_env, value: napi_value, result: *mut f64) -> napi_status;
    fn napi_get_value_bool(env: napi_env, value: napi_value, result: *mut bool) -> napi_status;
    fn napi_is_typedarray(env: napi_env, value: napi_value, result: *mut bool) -> napi_status;
    fn napi_get_typedarray_info(env: napi_env, value: napi_value, kind: *mut i32, length: *mut usize, data: *mut *mut c_void, arraybuffer: *mut napi_value, byte_offset: *mut usize) -> napi_status;
    fn napi_create_buffer_copy(env: napi_env, len: usize, data: *const c_void, result_data: *mut *mut c_void, result: *mut napi_value) -> napi_status;
    fn napi_create_error(env: napi_env, code: napi_value, msg: napi_value, result: *mut napi_value) -> napi_status;
    fn napi_throw(env: napi_env, error: napi_value) -> napi_status;
    fn napi_define_properties(env: napi_env, object: napi_value, count: usize, properties: *const PropertyDescriptor) -> napi_status;
}

/// napi_property_descriptor
#[repr(C)]
struct PropertyDescriptor {
    utf8name: *const c_char,
    name: napi_value,
    method: Option<napi_callback>,
    getter: Option<napi_callback>,
    setter: Option<napi_callback>,
    value: napi_value,
    attributes: i32,
    data: *mut c_void,
}

const NAPI_ENUMERABLE: i32 = 1 << 1;
/// napi_typedarray_type of a Uint8Array (and so of a Node Buffer)
const NAPI_UINT8_ARRAY: i32 = 1;

/// napi_valuetype
#[derive(Debug, PartialEq, Clone, Copy)]
pub enum JsType {
    Undefined,
    Null,
    Boolean,
    Number,
    String,
    Other,
}

const MAX_ARGS: usize = 6;

/// The call's environment: creates and reads JS values.
pub struct Env {
    raw: napi_env,
}

/// The arguments of one call; missing ones read as undefined.
pub struct Args {
    values: [napi_value; MAX_ARGS],
    count: usize,
}

impl Args {
    /// The i-th argument unless it is absent, undefined or null.
    pub fn get(&self, env: &Env, i: usize) -> Option<napi_value> {
        if i >= self.count {
            return None;
        }
        match env.type_of(self.values[i]) {
            JsType::Undefined | JsType::Null => None,
            _ => Some(self.values[i]),
        }
    }
}

fn status(code: napi_status) -> Result<()> {
    if code == NAPI_OK {
        Ok(())
    } else {
        Err(Error::os(sys::EINVAL).with_detail(format!("N-API call failed with status {}", code)))
    }
}

// SAFETY (for every method below): `raw` is the env N-API handed to the current callback, the values are
// handles from that same callback scope, and out-pointers are locals.
impl Env {
    pub fn undefined(&self) -> napi_value {
        let mut out = ptr::null_mut();
        unsafe { napi_get_undefined(self.raw, &mut out) };
        out
    }
    pub fn null(&self) -> napi_value {
        let mut out = ptr::null_mut();
        unsafe { napi_get_null(self.raw, &mut out) };
        out
    }
    pub fn boolean(&self, value: bool) -> napi_value {
        let mut out = ptr::null_mut();
        unsafe { napi_get_boolean(self.raw, value, &mut out) };
        out
    }
    pub fn number(&self, value: f64) -> napi_value {
        let mut out = ptr::null_mut();
        unsafe { napi_create_double(self.raw, value, &mut out) };
        out
    }
    pub fn string(&self, text: &str) -> napi_value {
        let mut out = ptr::null_mut();
        unsafe { napi_create_string_utf8(self.raw, text.as_ptr() as *const c_char, text.len(), &mut out) };
        out
    }
    /// A Node Buffer holding a copy of `bytes`.
    pub fn buffer(&self, bytes: &[u8]) -> Result<napi_value> {
        let mut out = ptr::null_mut();
        let mut data = ptr::null_mut();
        status(unsafe { napi_create_buffer_copy(self.raw, bytes.len(), bytes.as_ptr() as *const c_void, &mut data, &mut out) })?;
        Ok(out)
    }
    pub fn object(&self) -> napi_value {
        let mut out = ptr::null_mut();
        unsafe { napi_create_object(self.raw, &mut out) };
        out
    }
    pub fn array(&self, items: Vec<napi_value>) -> napi_value {
        let mut out = ptr::null_mut();
        unsafe {
            napi_create_array_with_length(self.raw, items.len(), &mut out);
            for (i, item) in items.into_iter().enumerate() {
                napi_set_element(self.raw, out, i as u32, item);
            }
        }
        out
    }
    pub fn set(&self, object: napi_value, name: &CStr, value: napi_value) {
        unsafe { napi_set_named_property(self.raw, object, name.as_ptr(), value) };
    }
    pub fn set_str(&self, object: napi_value, name: &CStr, value: &str) {
        self.set(object, name, self.string(value));
    }
    pub fn set_num(&self, object: napi_value, name: &CStr, value: f64) {
        self.set(object, name, self.number(value));
    }
    pub fn set_bool(&self, object: napi_value, name: &CStr, value: bool) {
        self.set(object, name, self.boolean(value));
    }
    /// `object[name]` unless undefined or null.
    pub fn get(&self, object: napi_value, name: &CStr) -> Option<napi_value> {
        let mut out = ptr::null_mut();
        if unsafe { napi_get_named_property(self.raw, object, name.as_ptr(), &mut out) } != NAPI_OK {
            return None;
        }
        match self.type_of(out) {
            JsType::Undefined | JsType::Null => None,
            _ => Some(out),
        }
    }
    pub fn type_of(&self, value: napi_value) -> JsType {
        let mut out = 0;
        unsafe { napi_typeof(self.raw, value, &mut out) };
        match out {
            0 => JsType::Undefined,
            1 => JsType::Null,
            2 => JsType::Boolean,
            3 => JsType::Number,
            4 => JsType::String,
            _ => JsType::Other,
        }
    }
    pub fn to_string(&self, value: napi_value) -> Result<String> {
        if self.type_of(value) != JsType::String {
            return Err(Error::invalid("expected a string"));
        }
        let mut len = 0usize;
        status(unsafe { napi_get_value_string_utf8(self.raw, value, ptr::null_mut(), 0, &mut len) })?;
        let mut buf = vec![0u8; len + 1];
        status(unsafe { napi_get_value_string_utf8(self.raw, value, buf.as_mut_ptr() as *mut c_char, buf.len(), &mut len) })?;
        buf.truncate(len);
        String::from_utf8(buf).map_err(|_| Error::invalid("string is not UTF-8"))
    }
    /// The bytes of a string (UTF-8) or a Uint8Array / Buffer, copied.
    pub fn to_bytes(&self, value: napi_value) -> Result<Vec<u8>> {
        if self.type_of(value) == JsType::String {
            return Ok(self.to_string(value)?.into_bytes());
        }
        let mut is_typed_array = false;
        status(unsafe { napi_is_typedarray(self.raw, value, &mut is_typed_array) })?;
        if !is_typed_array {
            return Err(Error::invalid("expected a string or a Uint8Array"));
        }
        let (mut kind, mut length, mut data, mut buffer, mut offset) = (0i32, 0usize, ptr::null_mut(), ptr::null_mut(), 0usize);
        status(unsafe { napi_get_typedarray_info(self.raw, value, &mut kind, &mut length, &mut data, &mut buffer, &mut offset) })?;
        if kind != NAPI_UINT8_ARRAY {
            return Err(Error::invalid("expected a string or a Uint8Array"));
        }
        if length == 0 || data.is_null() {
            return Ok(Vec::new());
        }
        // SAFETY: N-API reports `data` (already adjusted by the view's byte offset) valid for `length`
        // bytes of a Uint8Array alive for this callback; the bytes are copied out before returning.
        Ok(unsafe { std::slice::from_raw_parts(data as *const u8, length) }.to_vec())
    }
    pub fn to_number(&self, value: napi_value) -> Result<f64> {
        if self.type_of(value) != JsType::Number {
            return Err(Error::invalid("expected a number"));
        }
        let mut out = 0f64;
        status(unsafe { napi_get_value_double(self.raw, value, &mut out) })?;
        Ok(out)
    }
    pub fn to_bool(&self, value: napi_value) -> Result<bool> {
        if self.type_of(value) != JsType::Boolean {
            return Err(Error::invalid("expected a boolean"));
        }
        let mut out = false;
        status(unsafe { napi_get_value_bool(self.raw, value, &mut out) })?;
        Ok(out)
    }

    /// Throw `err` as a JS Error with `code`, `errno`, `request` and `subject` properties.
    fn throw(&self, err: &Error) {
        let code = self.string(err.code_name());
        let message = self.string(&err.message());
        let mut error = ptr::null_mut();
        unsafe {
            napi_create_error(self.raw, code, message, &mut error);
        }
        self.set_num(error, c"errno", err.errno as f64);
        self.set_str(error, c"request", err.request);
        if let Some(subject) = &err.subject {
            self.set_str(error, c"subject", subject);
        }
        if let Some(detail) = &err.detail {
            self.set_str(error, c"detail", detail);
        }
        unsafe {
            napi_throw(self.raw, error);
        }
    }
}

/// A JS-callable function: its export name and the Rust code behind it.
pub struct Export {
    pub name: &'static str,
    /// the same name, NUL-terminated for N-API
    pub c_name: &'static CStr,
    pub handler: fn(&Env, &Args) -> Result<napi_value>,
}

/// The one native callback every export goes through: reads the arguments, runs the handler, and turns an
/// `Err` (or a Rust panic) into a thrown JS error named after the export.
unsafe extern "C" fn dispatch(raw: napi_env, info: napi_callback_info) -> napi_value {
    let mut values = [ptr::null_mut(); MAX_ARGS];
    let mut count = MAX_ARGS;
    let mut data: *mut c_void = ptr::null_mut();
    // SAFETY: out-pointers are locals sized MAX_ARGS as `count` says.
    napi_get_cb_info(raw, info, &mut count, values.as_mut_ptr(), ptr::null_mut(), &mut data);
    // SAFETY: `data` is the &'static Export given to napi_create_function in `register`.
    let export = &*(data as *const Export);
    let env = Env { raw };
    let args = Args { values, count: count.min(MAX_ARGS) };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (export.handler)(&env, &args)));
    match outcome {
        Ok(Ok(value)) => value,
        Ok(Err(err)) => {
            env.throw(&err.about(export.name, ""));
            ptr::null_mut()
        }
        Err(_) => {
            env.throw(&Error::os(sys::EIO).with_detail("internal error (panic) in rtnetlink addon").about(export.name, ""));
            ptr::null_mut()
        }
    }
}

/// Put every export on the module's `exports` object, in one N-API call (this runs at every plugin start).
pub fn register(raw: napi_env, exports: napi_value, tables: &'static [&'static [Export]]) -> napi_value {
    let descriptors: Vec<PropertyDescriptor> = tables
        .iter()
        .flat_map(|table| table.iter())
        .map(|export| PropertyDescriptor {
            utf8name: export.c_name.as_ptr(),
            name: ptr::null_mut(),
            method: Some(dispatch),
            getter: None,
            setter: None,
            value: ptr::null_mut(),
            attributes: NAPI_ENUMERABLE,
            data: export as *const Export as *mut c_void,
        })
        .collect();
    // SAFETY: the descriptors point at &'static names and Exports and live across the call.
    unsafe {
        napi_define_properties(raw, exports, descriptors.len(), descriptors.as_ptr());
    }
    exports
}
