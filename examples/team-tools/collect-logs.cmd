@echo off
rem Example team tool shipped by examples/custom-recipe.rhai under tools\team\.
rem Collects the driver-install logs a support engineer asks for into %TEMP%\aero-logs.
setlocal
set "DEST=%TEMP%\aero-logs"
if not exist "%DEST%" mkdir "%DEST%"
for %%F in ("%SystemRoot%\inf\setupapi.dev.log" "%SystemRoot%\inf\setupapi.app.log" "C:\AeroGuestTools\install.log") do (
    if exist "%%~F" copy /y "%%~F" "%DEST%\" >nul
)
echo Logs copied to %DEST%
endlocal
