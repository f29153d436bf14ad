@echo off
rem Test stand-in for pnputil.exe: logs its arguments and answers like Windows 7 (-i -a, -a,
rem -d) or Windows 10 (/add-driver, /delete-driver). AERO_STUB_PNPUTIL_FAIL names an INF file
rem it refuses to add.
setlocal
>>"%AERO_STUB_LOG%" echo.pnputil %*
set "OP=%~1"
set "INF="
set "NEWSTYLE=0"
if /i "%OP%"=="/add-driver" set "NEWSTYLE=1"
if /i "%OP%"=="/delete-driver" set "NEWSTYLE=1"
:args
if "%~1"=="" goto :args_done
if /i "%~x1"==".inf" set "INF=%~1"
shift
goto :args
:args_done
if /i "%OP%"=="-i" goto :add
if /i "%OP%"=="-a" goto :add
if /i "%OP%"=="/add-driver" goto :add
if /i "%OP%"=="-f" goto :delete
if /i "%OP%"=="-d" goto :delete
if /i "%OP%"=="/delete-driver" goto :delete
echo pnputil stand-in: unsupported arguments
exit /b 1

:add
echo Microsoft PnP Utility
echo.
for %%I in ("%INF%") do set "INF_NAME=%%~nxI"
if not exist "%INF%" goto :add_fail
if /i "%INF_NAME%"=="%AERO_STUB_PNPUTIL_FAIL%" goto :add_fail
set "N=0"
if exist "%AERO_STUB_DIR%\oem-counter.txt" set /p N=<"%AERO_STUB_DIR%\oem-counter.txt"
set /a N+=1
>"%AERO_STUB_DIR%\oem-counter.txt" echo %N%
if "%NEWSTYLE%"=="1" goto :add_new
echo Processing inf :            %INF_NAME%
echo Driver package added successfully.
echo Published name :            oem%N%.inf
echo.
echo Total attempted:              1
echo Number successfully imported: 1
exit /b 0
:add_new
echo Adding driver package:  %INF_NAME%
echo Driver package added successfully.
echo Published Name:         oem%N%.inf
echo.
echo Total driver packages:  1
echo Added driver packages:  1
exit /b 0
:add_fail
echo Processing inf :            %INF_NAME%
echo Adding the driver package failed : Invalid INF passed as parameter.
exit /b 1

:delete
echo Microsoft PnP Utility
echo.
echo Driver package deleted successfully.
exit /b 0
