@echo off
rem Test stand-in for certutil.exe: logs its arguments. -hashfile and -dump answer with the
rem SHA-256 / SHA-1 that the test harness computed from the file's bytes just before the run
rem (AERO_STUB_HASHES: lines "windows path|sha256|sha1", hex bytes separated by spaces as
rem Windows 7's certutil prints them). -store finds only AERO_STUB_CERT_PRESENT.
setlocal
>>"%AERO_STUB_LOG%" echo.certutil %*
if /i "%~1"=="-hashfile" goto :hashfile
if /i "%~1"=="-dump" goto :dump
if /i "%~1"=="-store" goto :store
if /i "%~1"=="-addstore" goto :ok
if /i "%~1"=="-delstore" goto :ok
echo certutil stand-in: unsupported arguments
exit /b 1

:lookup
set "SHA256="
set "SHA1="
for /f "usebackq tokens=1,2,3 delims=|" %%a in ("%AERO_STUB_HASHES%") do (
  if /i "%%a"=="%TARGET%" set "SHA256=%%b"
  if /i "%%a"=="%TARGET%" set "SHA1=%%c"
)
goto :eof

:hashfile
set "TARGET=%~f2"
call :lookup
if not defined SHA256 goto :missing
for %%t in ("%TARGET%") do echo SHA256 hash of file %%~t:
echo %SHA256%
echo CertUtil: -hashfile command completed successfully.
exit /b 0

:dump
set "TARGET=%~f2"
call :lookup
if not defined SHA1 goto :missing
echo X509 Certificate:
echo Version: 3
echo Key Id Hash(sha1): 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff 00 11 22 33
echo Cert Hash(md5): 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff
echo Cert Hash(sha1): %SHA1%
echo CertUtil: -dump command completed successfully.
exit /b 0

:store
if not defined AERO_STUB_CERT_PRESENT goto :not_found
if /i "%~3"=="%AERO_STUB_CERT_PRESENT%" goto :ok
:not_found
echo CertUtil: -store command FAILED: 0x80092004 (-2146885628 CRYPT_E_NOT_FOUND)
exit /b 1

:missing
echo CertUtil: -%~1 command FAILED: 0x80070002 (WIN32: 2 ERROR_FILE_NOT_FOUND)
exit /b 1

:ok
echo CertUtil: command completed successfully.
exit /b 0
